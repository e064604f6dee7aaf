import * as path from 'path';
import { CliCommand, optionValue, requireOption, UsageError } from '../args';
import { ALLOWED_KEYGEN_BITS, DEFAULT_KEYGEN_BITS } from '../../core/constants';
import { generateKeyPair, isKeygenBits } from '../../core/keys';
import { isWorldWritable } from '../../core/keyFiles';
import { isIgnoredByGit, writeKeyPairFiles } from '../../core/keyStore';
import { passphraseFromEnv } from './sign';

export const keygenCommand: CliCommand = {
  name: 'keygen',
  summary: 'Generate an RSA signing key pair for a custom authorizer.',
  usage: `iot-authz keygen --out DIR [--bits ${ALLOWED_KEYGEN_BITS.join('|')}] [--force] [--passphrase-env VAR] [--json]`,
  options: [
    { name: 'out', value: 'DIR', description: 'Folder for private_key.pem (mode 0600) and public_key.pem; created if missing.' },
    { name: 'bits', value: 'N', description: `Key size: ${ALLOWED_KEYGEN_BITS.join(', ')} (default ${DEFAULT_KEYGEN_BITS}).` },
    { name: 'force', description: 'Overwrite an existing key pair in DIR.' },
    { name: 'passphrase-env', value: 'VAR', description: 'Encrypt the private key with the passphrase in environment variable VAR.' },
    { name: 'json', description: 'Print the paths, size and fingerprint as JSON.' },
  ],
  details: `Prints the public key's fingerprint (SHA-256 of its DER form, as
  openssl pkey -pubin -in public_key.pem -outform DER | openssl dgst -sha256 -c
prints it) and the file paths; never the private key. Register public_key.pem with the authorizer.`,
  async run(args, io) {
    const out = path.resolve(io.cwd, requireOption(args, 'out', keygenCommand));
    const bitsText = optionValue(args, 'bits') ?? String(DEFAULT_KEYGEN_BITS);
    const bits = Number(bitsText);
    if (!/^\d+$/.test(bitsText) || !isKeygenBits(bits)) throw new UsageError(`--bits ${bitsText}: choose one of ${ALLOWED_KEYGEN_BITS.join(', ')}.`);
    const passphrase = passphraseFromEnv(args);
    const pair = await generateKeyPair(bits, { passphrase });
    const files = await writeKeyPairFiles(out, pair, { overwrite: args.flags.has('force') });
    const ignored = await isIgnoredByGit(io.cwd, files.privateKeyFile);
    if (args.flags.has('json')) {
      io.stdout(JSON.stringify({ ...files, bits: pair.bits, fingerprint: pair.fingerprint, encrypted: passphrase !== undefined, ignoredByGit: ignored }, null, 2) + '\n');
    } else {
      io.stdout(
        [
          `Generated a ${pair.bits}-bit RSA key pair${passphrase ? ' (private key encrypted)' : ''}.`,
          `  private key  ${files.privateKeyFile}  (mode 0600; keep it secret)`,
          `  public key   ${files.publicKeyFile}  (register this one with the authorizer)`,
          `  fingerprint  SHA256 ${pair.fingerprint}`,
          '',
        ].join('\n'),
      );
    }
    if (await isWorldWritable(out)) {
      io.stderr(`warning: ${out} is writable by every user: anyone can replace the key files or read a key written there later. Use a private folder (chmod 700).\n`);
    }
    if (ignored === false) {
      io.stderr(`warning: git does not ignore ${files.privateKeyFile}; add it to .gitignore before committing.\n`);
    }
    return 0;
  },
};
