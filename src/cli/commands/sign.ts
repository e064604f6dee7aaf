import * as fs from 'fs';
import { promises as fsp } from 'fs';
import * as path from 'path';
import { CliCommand, CliIO, optionValue, ParsedArgs, requireOption, UsageError } from '../args';
import { AUTHORIZER_NAME_PATTERN, MAX_TOKEN_LENGTH, TOKEN_KEY_NAME_PATTERN } from '../../core/constants';
import { credentialsToHeaders, credentialsToMqttUsername, credentialsToQueryString, formatCredentials, SignedCredentials } from '../../core/credentials';
import { TokenSigner, workspaceSigner } from '../../core/events';
import { importPrivateKey, RsaPrivateKey } from '../../core/keys';
import { readPrivateKey, storedKeyFiles } from '../../core/keyStore';
import { signToken } from '../../core/tokens';

export const STDIN_NOTE =
  'A value of "-" is read from standard input, minus exactly one final line ending (as `$(...)` does), so `echo TOKEN | iot-authz sign --token -` signs TOKEN. Only one value may be "-".';

/**
 * Resolves option values that may be `-` (standard input). Exactly one trailing `\n` or `\r\n`
 * is removed: `echo` adds one, and a token signed with it is the most common mistake.
 */
export async function readValues(args: ParsedArgs, names: readonly string[], command: CliCommand, io: CliIO): Promise<string[]> {
  const values = names.map((n) => requireOption(args, n, command));
  const fromStdin = names.filter((_, i) => values[i] === '-');
  if (fromStdin.length > 1) throw new UsageError(`only one value can come from standard input, but ${fromStdin.map((n) => `--${n}`).join(' and ')} are both "-".`);
  if (fromStdin.length === 1) {
    const i = values.indexOf('-');
    values[i] = (await io.readStdin()).replace(/\r?\n$/, '');
  }
  return values;
}

/** `--passphrase-env VAR`: the passphrase travels in the environment, never on the command line. */
export function passphraseFromEnv(args: ParsedArgs): string | undefined {
  const variable = optionValue(args, 'passphrase-env');
  if (variable === undefined) return undefined;
  const value = process.env[variable];
  if (value === undefined || value === '') throw new UsageError(`--passphrase-env ${variable}: the environment variable ${variable} is not set or empty.`);
  return value;
}

/** The `--passphrase-env` option of the commands that read private keys. */
export const PASSPHRASE_ENV_OPTION = {
  name: 'passphrase-env',
  value: 'VAR',
  description: 'Read the passphrase of an encrypted private key from environment variable VAR.',
} as const;

/**
 * `--key K`: a PEM file when one exists at that path (or K is not a bare key name), else the key
 * named K in the key store of `workspace` (.iot-authz/keys/K). `--passphrase-env` decrypts either.
 */
export async function loadPrivateKeyArg(args: ParsedArgs, io: CliIO, keyArg: string, workspace: string | undefined): Promise<RsaPrivateKey> {
  const passphrase = passphraseFromEnv(args);
  const file = path.resolve(io.cwd, keyArg);
  if (fs.existsSync(file) || !/^[\w.-]+$/.test(keyArg)) return importPrivateKey(await readTextFile(io, file, 'key'), { passphrase, what: file });
  if (workspace === undefined) throw new UsageError(`--key ${keyArg}: no such file, and no iot-authorizer.json whose key store could hold a key of that name.`);
  const stored = storedKeyFiles(workspace, keyArg).privateKeyFile;
  if (!fs.existsSync(stored)) throw new UsageError(`--key ${keyArg}: neither a file nor a key in ${path.dirname(path.dirname(stored))} (make one with iot-authz keygen, or give the private key's path).`);
  return readPrivateKey(workspace, keyArg, { passphrase });
}

/** Signs an event's {"sign": KEY} with the workspace's keys, decrypted with `--passphrase-env` when given. */
export function workspaceSignerFor(args: ParsedArgs, workspace: string): TokenSigner {
  const passphrase = passphraseFromEnv(args);
  return workspaceSigner(workspace, { passphrase: () => passphrase });
}

export async function readTextFile(io: CliIO, file: string, option: string): Promise<string> {
  try {
    return await fsp.readFile(path.resolve(io.cwd, file), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`--${option} ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a file' : `cannot read (${code ?? 'error'})`}.`);
  }
}

const FORMATS = ['signature', 'header', 'query', 'mqtt-username'] as const;
type SignFormat = (typeof FORMATS)[number];

export const signCommand: CliCommand = {
  name: 'sign',
  summary: 'Sign a token with a private key, as AWS IoT custom authorizers verify it.',
  usage: 'iot-authz sign --key PRIVATE.pem --token TEXT|- [--format signature|header|query|mqtt-username --token-key-name KEY [--authorizer NAME]]',
  options: [
    { name: 'key', value: 'FILE', description: 'The RSA private key (PKCS#8 or PKCS#1 PEM).' },
    { name: 'token', value: 'TEXT', description: 'The token to sign, or "-" for standard input.' },
    { name: 'format', value: 'FORMAT', description: 'signature (default): the base64 signature; header: "Name: value" lines; query: a query string; mqtt-username: an MQTT username.' },
    { name: 'token-key-name', value: 'KEY', description: "The authorizer's tokenKeyName (needed by header, query, mqtt-username)." },
    { name: 'authorizer', value: 'NAME', description: 'The authorizer name to send (omit to use the default authorizer).' },
    { name: 'username', value: 'BASE', description: 'For mqtt-username: the part before "?" (default: empty).' },
    PASSPHRASE_ENV_OPTION,
    { name: 'json', description: 'Print the signature, key fingerprint and the ready-made forms as JSON.' },
  ],
  details: `The signature is RSA PKCS#1 v1.5 over SHA-256 of the token's UTF-8 bytes, standard base64 on one line: the same as
  printf %s TOKEN | openssl dgst -sha256 -sign PRIVATE.pem | base64 -w0
Query and MQTT-username values are URL-encoded; header values are not.
${STDIN_NOTE}`,
  async run(args, io) {
    const [token] = await readValues(args, ['token'], signCommand, io);
    const keyFile = requireOption(args, 'key', signCommand);
    const format = (optionValue(args, 'format') ?? 'signature') as SignFormat;
    if (!FORMATS.includes(format)) throw new UsageError(`--format ${format}: choose one of ${FORMATS.join(', ')}.`);
    const tokenKeyName = optionValue(args, 'token-key-name');
    const authorizerName = optionValue(args, 'authorizer');
    if (tokenKeyName !== undefined && !TOKEN_KEY_NAME_PATTERN.test(tokenKeyName)) {
      throw new UsageError(`--token-key-name ${tokenKeyName}: AWS accepts letters, digits, "_" and "-" only.`);
    }
    if (authorizerName !== undefined && !AUTHORIZER_NAME_PATTERN.test(authorizerName)) {
      throw new UsageError(`--authorizer ${authorizerName}: AWS accepts letters, digits and _ = , @ - only.`);
    }
    if (format !== 'signature' && tokenKeyName === undefined) {
      throw new UsageError(`--format ${format} needs --token-key-name KEY (the authorizer's tokenKeyName).`);
    }
    if (format === 'header' && /[\r\n]/.test(token)) {
      throw new UsageError('the token holds a line break, which cannot travel in an HTTP header; use --format query or mqtt-username, or remove it.');
    }
    const key = importPrivateKey(await readTextFile(io, keyFile, 'key'), { passphrase: passphraseFromEnv(args), what: keyFile });
    if (token.length > MAX_TOKEN_LENGTH) io.stderr(`warning: the token is ${token.length} characters; AWS accepts at most ${MAX_TOKEN_LENGTH}.\n`);
    const signature = signToken(token, key.keyObject);
    const credentials: SignedCredentials | undefined =
      tokenKeyName === undefined ? undefined : { authorizerName, tokenKeyName, token, signature };
    const username = optionValue(args, 'username') ?? '';
    if (args.flags.has('json')) {
      io.stdout(
        JSON.stringify(
          {
            signature,
            fingerprint: key.fingerprint,
            bits: key.bits,
            ...(credentials
              ? {
                  headers: credentialsToHeaders(credentials),
                  queryString: credentialsToQueryString(credentials),
                  mqttUsername: credentialsToMqttUsername(credentials, username),
                }
              : {}),
          },
          null,
          2,
        ) + '\n',
      );
      return 0;
    }
    if (!credentials || format === 'signature') {
      io.stdout(`${signature}\n`);
    } else {
      // The editor's formatter; `header` is this command's name for its `headers`.
      io.stdout(`${formatCredentials(credentials, format === 'header' ? 'headers' : format, { host: '', username })}\n`);
    }
    return 0;
  },
};
