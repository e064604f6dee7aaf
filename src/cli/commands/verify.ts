import { CliCommand, UsageError } from '../args';
import { verifyToken, VerifyResult } from '../../core/tokens';
import { readTextFile, readValues, STDIN_NOTE } from './sign';

function describe(result: VerifyResult): string {
  const lines: string[] = [];
  const matched = result.checkedKeys.find((k) => k.name === result.keyName);
  if (matched) {
    lines.push(`${result.valid ? 'Valid' : 'Invalid'}: the signature verifies with ${matched.name} (${matched.bits}-bit, SHA256 ${matched.fingerprint}).`);
  } else {
    lines.push(`Invalid: the signature verifies with none of: ${result.checkedKeys.map((k) => `${k.name} (${k.bits}-bit, SHA256 ${k.shortFingerprint})`).join(', ')}.`);
  }
  for (const f of result.findings) {
    lines.push(`  ${f.code}: ${f.message}`, `    Fix: ${f.fix}`);
  }
  return lines.join('\n') + '\n';
}

export const verifyCommand: CliCommand = {
  name: 'verify',
  summary: 'Check a token signature as AWS IoT does; when it fails, say why.',
  usage: 'iot-authz verify --public-key PUBLIC.pem [--public-key PUBLIC2.pem] --token TEXT|- --signature BASE64|- [--json]',
  options: [
    { name: 'public-key', value: 'FILE', description: 'A public key registered with the authorizer (repeat for a rotation).', repeatable: true },
    { name: 'token', value: 'TEXT', description: 'The token, or "-" for standard input.' },
    { name: 'signature', value: 'BASE64', description: 'The base64 signature, or "-" for standard input.' },
    { name: 'json', description: 'Print the result (valid, keyName, findings with code/message/fix) as JSON.' },
  ],
  details: `Exit status: 0 valid, 1 invalid (the diagnosis names the likely mistake: a trailing newline,
a signed hex digest, wrapped or URL-encoded base64, a different key, ...), 2 bad input.
${STDIN_NOTE}`,
  async run(args, io) {
    const keyFiles = args.options.get('public-key') ?? [];
    if (keyFiles.length === 0) throw new UsageError(`missing --public-key. Usage: ${verifyCommand.usage}`);
    const [token, signature] = await readValues(args, ['token', 'signature'], verifyCommand, io);
    const keys = [];
    for (const file of keyFiles) keys.push({ name: file, pem: await readTextFile(io, file, 'public-key') });
    const result = verifyToken(token, signature, keys);
    io.stdout(args.flags.has('json') ? JSON.stringify(result, null, 2) + '\n' : describe(result));
    return result.valid ? 0 : 1;
  },
};
