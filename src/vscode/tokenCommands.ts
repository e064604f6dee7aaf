// Tokens in the editor: sign a token, verify a signature, copy signed credentials in a client's
// format. The keys they use come from the workspace key store (keyCommands.ts). Private keys and
// passphrases never reach a message, the log or a return value.
import * as path from 'path';
import * as vscode from 'vscode';
import { KEY_STORE_DIR, MAX_TOKEN_LENGTH, PROJECT_FILE_NAME } from '../core/constants';
import { CREDENTIAL_FORMATS, CredentialFormat, formatCredentials, SignedCredentials } from '../core/credentials';
import { UserError } from '../core/errors';
import { placeholderServerName } from '../core/events';
import { RsaPrivateKey } from '../core/keys';
import { checkKeyName, readPublicKey, storedKeyFiles } from '../core/keyStore';
import type { AuthorizerConfig } from '../core/project';
import { signToken, VerifyResult, verifyToken } from '../core/tokens';
import { CommandHandlers } from './commands';
import type { Services } from './features';
import {
  cancellable,
  existingKey,
  keyArgs,
  KeyArgs,
  keyDescription,
  keysFor,
  keyStoreFolder,
  orCancel,
  pickKey,
  workspaceKeys,
  WorkspaceKey,
} from './keyCommands';
import { readSigningKey } from './keySource';

export interface SignTokenResult {
  readonly signature: string;
  readonly keyName: string;
  readonly fingerprint: string;
}

// ---------------------------------------------------------------------------------------
// Validation as the user types: the message shown under the input, or undefined.

export function tokenProblem(token: string): vscode.InputBoxValidationMessage | undefined {
  if (token === '') return { message: 'Enter the token exactly as the device sends it.', severity: vscode.InputBoxValidationSeverity.Error };
  if (token.length > MAX_TOKEN_LENGTH) {
    return { message: `The token is ${token.length} characters; AWS accepts at most ${MAX_TOKEN_LENGTH}.`, severity: vscode.InputBoxValidationSeverity.Error };
  }
  const edge = trailingOrLeadingWhitespace(token);
  if (edge) {
    return {
      message: `The token ${edge}: it is signed exactly as typed, so the device must send it the same way. A stray newline or space is the classic cause of "invalid signature".`,
      severity: vscode.InputBoxValidationSeverity.Warning,
    };
  }
  return undefined;
}

function trailingOrLeadingWhitespace(token: string): string | undefined {
  if (/\r?\n$/.test(token)) return 'ends with a newline';
  if (/\s$/.test(token)) return 'ends with whitespace';
  if (/^\s/.test(token)) return 'starts with whitespace';
  return undefined;
}

/** The same rules for a token passed as an argument: errors refuse, warnings are only shown. */
function checkToken(token: string): void {
  const problem = tokenProblem(token);
  if (problem?.severity === vscode.InputBoxValidationSeverity.Error) throw new UserError(problem.message, token === '' ? 'TOKEN_EMPTY' : 'TOKEN_TOO_LONG');
}

async function askToken(title: string, prompt: string): Promise<string> {
  const token = await vscode.window.showInputBox({ title, prompt, ignoreFocusOut: true, validateInput: tokenProblem });
  return orCancel(token);
}

// ---------------------------------------------------------------------------------------
// Sign Token…

async function pickSigningKey(services: Services, root: string, args: KeyArgs, restrictTo?: readonly string[]): Promise<WorkspaceKey> {
  const given = args.string('keyName');
  if (given !== undefined) {
    checkKeyName(given);
    const existing = await existingKey(services, root, given, await workspaceKeys(services, root));
    return existing ?? { name: given, ...storedKeyFiles(root, given), hasPrivateKey: false, hasPublicKey: false };
  }
  const all = keysFor(await workspaceKeys(services, root), restrictTo, root);
  const signable = all.filter((k) => k.privateKeyIn !== undefined);
  return pickKey(
    signable,
    'Key to sign with',
    all.length > 0
      ? `No private key for ${all.map((k) => `"${k.name}"`).join(', ')} in this workspace (only public keys). Import the private key, or generate a new key pair.`
      : `No signing key in ${path.join(root, KEY_STORE_DIR)}. Run "Generate Signing Key Pair" or "Import Signing Key…" first.`,
  );
}

async function signWith(services: Services, root: string, keyName: string, token: string, args: KeyArgs): Promise<{ signature: string; key: RsaPrivateKey }> {
  const key = await readSigningKey(services, root, keyName, { passphrase: args.string('passphrase') });
  return { signature: signToken(token, key.keyObject), key };
}

async function signTokenCommand(services: Services, arg: unknown): Promise<SignTokenResult> {
  const args = keyArgs(arg);
  const root = await keyStoreFolder(args);
  const key = await pickSigningKey(services, root, args, args.node?.authorizer.signingKeys);
  const token = args.string('token') ?? (await askToken(`Sign Token with "${key.name}"`, 'The token to sign, exactly as the device sends it.'));
  checkToken(token);
  const { signature, key: privateKey } = await signWith(services, root, key.name, token, args);
  await vscode.env.clipboard.writeText(signature);
  const edge = trailingOrLeadingWhitespace(token);
  services.log.info(`Signed a ${token.length}-character token with key "${key.name}" (SHA256 ${privateKey.fingerprint}); the signature is on the clipboard.`);
  vscode.window.setStatusBarMessage(`$(key) Signature copied · key "${key.name}" SHA256 ${privateKey.shortFingerprint}`, 30000);
  void vscode.window.showInformationMessage(
    `Signature copied to the clipboard (key "${key.name}", SHA256 ${privateKey.fingerprint})${edge ? `. Note: the token ${edge}, and it was signed that way` : ''}: ${signature}`,
  );
  return { signature, keyName: key.name, fingerprint: privateKey.fingerprint };
}

// ---------------------------------------------------------------------------------------
// Verify Token Signature…

async function verifySignatureCommand(services: Services, arg: unknown): Promise<VerifyResult> {
  const args = keyArgs(arg);
  const root = await keyStoreFolder(args);
  const all = (await workspaceKeys(services, root)).filter((k) => k.hasPublicKey && !k.problem);
  let keys = keysFor(all, args.strings('keyNames') ?? args.node?.authorizer.signingKeys, root);
  if (keys.length === 0) throw new UserError(`No public key to verify with in ${path.join(root, KEY_STORE_DIR)}. Generate or import the key the token was signed with.`, 'NO_PUBLIC_KEYS');
  const token = args.string('token') ?? (await askToken('Verify Token Signature: token', 'The token that was signed, exactly as the device sends it.'));
  const signature =
    args.string('signature') ??
    orCancel(
      await vscode.window.showInputBox({
        title: 'Verify Token Signature: signature',
        prompt: 'The base64 signature, exactly as the device sends it (before any URL encoding).',
        ignoreFocusOut: true,
        validateInput: (v) => (v === '' ? 'Paste the signature.' : undefined),
      }),
    );
  if (keys.length > 1 && args.interactive && !args.node) {
    const picked = await vscode.window.showQuickPick(
      keys.map((k) => ({ label: k.name, description: keyDescription(k), picked: true, key: k })),
      { canPickMany: true, title: 'Verify Token Signature: keys', placeHolder: 'The public keys the authorizer trusts (all by default)' },
    );
    keys = orCancel(picked && picked.length > 0 ? picked : undefined).map((p) => p.key);
  }
  const publicKeys = await Promise.all(keys.map(async (k) => ({ name: k.name, pem: (await readPublicKey(root, k.name)).keyObject })));
  const result = verifyToken(token, signature, publicKeys);
  reportVerification(services, result);
  return result;
}

function reportVerification(services: Services, result: VerifyResult): void {
  const checked = result.checkedKeys.map((k) => `"${k.name}" (SHA256 ${k.shortFingerprint})`).join(', ');
  if (result.valid) {
    const key = result.checkedKeys.find((k) => k.name === result.keyName);
    services.log.info(`Signature valid: made with key "${result.keyName}", SHA256 ${result.keyFingerprint}.`);
    vscode.window.setStatusBarMessage(`$(pass) Signature valid · key "${result.keyName}"`, 30000);
    void vscode.window.showInformationMessage(`Valid: the signature was made with key "${result.keyName}" (${key?.bits}-bit, SHA256 ${result.keyFingerprint}).`);
    return;
  }
  const lines = [`Signature NOT valid${result.keyName ? ` (key "${result.keyName}" verifies it, but a limit fails)` : ''}; checked ${checked}:`];
  result.findings.forEach((f, i) => lines.push(`  ${i + 1}. ${f.message}`, `     Fix: ${f.fix}`));
  services.log.append(lines.join('\n'));
  vscode.window.setStatusBarMessage(`$(error) Signature not valid: ${result.findings[0]?.code ?? 'no key verifies it'}`, 30000);
  const first = result.findings[0];
  void vscode.window
    .showErrorMessage(`Signature not valid: ${first ? `${first.message} Fix: ${first.fix}` : `no key verifies it (${checked}).`}`, 'Show Diagnosis')
    .then((answer) => {
      if (answer) services.log.show();
    });
}

// ---------------------------------------------------------------------------------------
// Copy Signed Credentials As…

function loadAuthorizers(services: Services, root: string): { authorizers: readonly AuthorizerConfig[]; defaultAuthorizer?: string } {
  const file = path.join(root, PROJECT_FILE_NAME);
  // The file as saved (what a device's credentials are signed against), not an editor's unsaved text.
  const { project, issues } = services.projects.saved(file);
  if (!project) {
    const first = issues[0];
    throw new UserError(`${file}: ${first ? `line ${first.line}: ${first.message}` : 'cannot be read'}`, 'PROJECT_INVALID');
  }
  if (project.authorizers.length === 0) throw new UserError(`${file} defines no usable authorizer; fix the problems it shows in the Authorizers view.`, 'NO_AUTHORIZERS');
  return project;
}

async function pickAuthorizer(services: Services, root: string, args: KeyArgs): Promise<AuthorizerConfig> {
  if (args.node) return args.node.authorizer;
  const project = loadAuthorizers(services, root);
  const wanted = args.string('authorizer');
  if (wanted !== undefined) {
    const found = project.authorizers.find((a) => a.name === wanted);
    if (!found) throw new UserError(`No authorizer "${wanted}" in ${PROJECT_FILE_NAME} (known: ${project.authorizers.map((a) => a.name).join(', ')}).`, 'AUTHORIZER_NOT_FOUND');
    return found;
  }
  if (project.authorizers.length === 1) return project.authorizers[0];
  const picked = await vscode.window.showQuickPick(
    project.authorizers.map((a) => ({ label: a.name, description: a.name === project.defaultAuthorizer ? 'default' : undefined, detail: `token key ${a.tokenKeyName ?? '(none)'} · signing ${a.signingDisabled ? 'disabled' : a.signingKeys.join(', ')}`, a })),
    { placeHolder: 'Authorizer the credentials are for' },
  );
  return orCancel(picked).a;
}

function isCredentialFormat(v: string): v is CredentialFormat {
  return (CREDENTIAL_FORMATS as readonly string[]).includes(v);
}

async function pickFormat(args: KeyArgs): Promise<CredentialFormat> {
  const given = args.string('format');
  if (given !== undefined) {
    if (!isCredentialFormat(given)) throw new UserError(`Format "${given}" is unknown: choose one of ${CREDENTIAL_FORMATS.join(', ')}.`, 'BAD_ARGUMENT');
    return given;
  }
  const picked = await vscode.window.showQuickPick(
    [
      { label: 'HTTP headers', description: 'HTTPS or WebSocket upgrade; values not URL-encoded', format: 'headers' as const },
      { label: 'Query string', description: 'HTTPS or WebSocket URL; values URL-encoded', format: 'query' as const },
      { label: 'MQTT username', description: 'MQTT over TLS (port 443, ALPN mqtt); values URL-encoded', format: 'mqtt-username' as const },
      { label: 'WebSocket URL', description: 'wss://<endpoint>/mqtt?…', format: 'websocket-url' as const },
    ],
    { title: 'Copy Signed Credentials As…', placeHolder: 'Where the device sends the credentials' },
  );
  return orCancel(picked).format;
}

async function copySignedCredentialsCommand(services: Services, arg: unknown): Promise<string> {
  const args = keyArgs(arg);
  const root = await keyStoreFolder(args);
  const authorizer = await pickAuthorizer(services, root, args);
  if (!authorizer.tokenKeyName) {
    throw new UserError(`Authorizer "${authorizer.name}" has no "tokenKeyName" in ${PROJECT_FILE_NAME}: set the header/parameter name that carries the token.`, 'NO_TOKEN_KEY_NAME');
  }
  let key: WorkspaceKey | undefined;
  if (!authorizer.signingDisabled) {
    if (authorizer.signingKeys.length === 0 && args.string('keyName') === undefined) {
      throw new UserError(`Authorizer "${authorizer.name}" has no "signingKeys" in ${PROJECT_FILE_NAME}: name the key(s) it trusts, e.g. ["default"].`, 'NO_SIGNING_KEYS');
    }
    key = await pickSigningKey(services, root, args, authorizer.signingKeys);
  }
  const token = args.string('token') ?? (await askToken(`Credentials for "${authorizer.name}": token`, `The value of ${authorizer.tokenKeyName}, exactly as the device sends it.`));
  checkToken(token);
  const format = await pickFormat(args);
  const host =
    format === 'websocket-url'
      ? (args.string('host') ??
        (!args.interactive
          ? placeholderServerName(authorizer)
          : orCancel(
              await vscode.window.showInputBox({
                title: 'Your AWS IoT data endpoint',
                prompt: 'From `aws iot describe-endpoint --endpoint-type iot:Data-ATS` (the value is a placeholder).',
                value: placeholderServerName(authorizer),
                ignoreFocusOut: true,
                validateInput: (v) => (/^[A-Za-z0-9.-]+(:\d+)?$/.test(v.replace(/^wss?:\/\//, '').replace(/\/+$/, '')) ? undefined : 'A host name such as abc123-ats.iot.eu-west-1.amazonaws.com'),
              }),
            )))
      : '';
  const signed = key ? await signWith(services, root, key.name, token, args) : undefined;
  const credentials: SignedCredentials = { authorizerName: authorizer.name, tokenKeyName: authorizer.tokenKeyName, token, signature: signed?.signature };
  const text = formatCredentials(credentials, format, { host, username: args.string('username') });
  await vscode.env.clipboard.writeText(text);
  const how = signed ? `signed with "${key?.name}", SHA256 ${signed.key.shortFingerprint}` : 'unsigned: signing is disabled for this authorizer';
  const notRegistered = key && !authorizer.signingKeys.includes(key.name) ? ` Key "${key.name}" is not in this authorizer's signingKeys, so AWS would refuse it.` : '';
  vscode.window.setStatusBarMessage(`$(clippy) Credentials (${format}) copied for "${authorizer.name}"`, 30000);
  void vscode.window.showInformationMessage(`Credentials for "${authorizer.name}" copied as ${format} (${how}).${notRegistered}`);
  return text;
}

// ---------------------------------------------------------------------------------------

export function tokenCommandHandlers(services: Services) {
  return {
    'iotAuthz.signToken': cancellable((arg?: unknown) => signTokenCommand(services, arg)),
    'iotAuthz.verifySignature': cancellable((arg?: unknown) => verifySignatureCommand(services, arg)),
    'iotAuthz.copySignedCredentials': cancellable((arg?: unknown) => copySignedCredentialsCommand(services, arg)),
  } satisfies Partial<CommandHandlers>;
}
