// Authorizer records as the core reads them (keys, the config the event builder takes), and
// AWS's own wording for an answer it rejects (InvalidResponseException in test-invoke).
import type { KeyObject } from 'crypto';
import { importPublicKey } from '../core/keys';
import type { AuthorizerConfig } from '../core/project';
import type { ResponseValidation } from '../core/response';
import type { RuntimeError } from '../local/runtime';
import type { AuthorizerRecord } from './state';

const keyCache = new WeakMap<Record<string, string>, Array<{ name: string; pem: KeyObject }>>();

/** The authorizer's token signing keys, parsed once per key set. */
export function publicKeysOf(a: AuthorizerRecord): Array<{ name: string; pem: KeyObject }> {
  let keys = keyCache.get(a.tokenSigningPublicKeys);
  if (!keys) {
    keys = Object.entries(a.tokenSigningPublicKeys).map(([name, pem]) => ({ name, pem: importPublicKey(pem, { what: `Key "${name}"` }).keyObject }));
    keyCache.set(a.tokenSigningPublicKeys, keys);
  }
  return keys;
}

/** The record in the shape the core's event builder reads (the handler fields are not used there). */
export function eventConfigOf(a: AuthorizerRecord): AuthorizerConfig {
  return {
    name: a.authorizerName,
    handler: '',
    handlerFile: '',
    handlerFunction: '',
    language: 'javascript',
    runtime: '',
    ...(a.tokenKeyName !== undefined ? { tokenKeyName: a.tokenKeyName } : {}),
    signingDisabled: a.signingDisabled,
    signingKeys: Object.keys(a.tokenSigningPublicKeys),
    enableCachingForHttp: a.enableCachingForHttp,
    status: a.status,
    aws: {},
  };
}

function field(response: unknown, name: string): unknown {
  return typeof response === 'object' && response !== null ? (response as Record<string, unknown>)[name] : undefined;
}

/** AWS's InvalidResponseException message for an answer the core's rules reject. */
export function invalidResponseMessage(validation: ResponseValidation, response: unknown): string {
  const first = validation.findings.find((f) => f.severity === 'error');
  const code = first?.code ?? '';
  if (code.startsWith('PRINCIPAL_ID')) {
    const v = field(response, 'principalId');
    return `${v === undefined || v === null ? 'null' : String(v)} at principalId failed to satisfy constraint: Member must satisfy ([a-zA-Z0-9]){1,128}`;
  }
  if (code === 'REFRESH_AFTER' || code === 'DISCONNECT_AFTER') {
    const name = code === 'REFRESH_AFTER' ? 'refreshAfterInSeconds' : 'disconnectAfterInSeconds';
    return `${String(field(response, name))} at ${name} failed to satisfy constraint: Member must be greater than 5 minutes and less than 24 hours.`;
  }
  if (code === 'POLICY_DOCUMENTS_TOO_MANY') return 'Number of policies allowed cannot exceed 10';
  if (code === 'POLICY_DOCUMENT_TOO_LONG') return 'Size of a policy document cannot exceeds hard limit of 2048';
  if (code === 'POLICY_DOCUMENTS_MISSING') return 'policyDocuments failed to satisfy constraint: List of policies cannot be null.';
  if (code.startsWith('POLICY_') || code.startsWith('STATEMENT_')) return 'Policy document is Malformed: Invalid policy syntax.';
  if (code.startsWith('IS_AUTHENTICATED') || code.startsWith('RESPONSE_')) return 'Lambda invocation result is in invalid format';
  return first?.message ?? 'Lambda invocation result is in invalid format';
}

/** AWS's message when the authorizer Lambda fails: `Lambda function encountered error in execution: <msg>: <type>`. */
export function handlerErrorMessage(error: RuntimeError): string {
  if (error.code === 'TIMEOUT') return 'Lambda function encountered error in execution: Task timed out: Sandbox.Timedout';
  return `Lambda function encountered error in execution: ${error.message}: ${error.detail?.errorType ?? error.code}`;
}
