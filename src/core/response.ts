// Checks what an authorizer Lambda returned against the rules AWS IoT applies (docs/aws-custom-auth.md: "The authorizer's response") before any
// device is let in, and lints each returned policy document. Every finding names its JSON path,
// what is wrong, and how to fix it. Pure: no I/O.
//
// Readings where AWS's documentation is silent (the strictest sensible one, per the domain doc):
// - A handler that returns a JSON *string* of the response (`JSON.stringify(r)`, `json.dumps(r)`)
//   makes the Lambda payload a JSON string, not an object: an error. The inner object is still
//   checked so every other problem shows at once.
// - A policy document that is not a readable IAM-style policy (no Statement, bad Effect, neither
//   Action nor Resource) is an error: AWS must parse it to authorize anything. Unknown actions,
//   odd resources and unknown keys are warnings: AWS accepts them, they just never match.
// - refreshAfterInSeconds and disconnectAfterInSeconds: the developer guide ("Defining your Lambda
//   function", custom-auth-lambda) gives both as integers from 300 to 86,400 and never says
//   required; the current page adds "The default value is 86,400" for disconnectAfterInSeconds
//   and names no default for refreshAfterInSeconds. Missing is therefore a warning for both;
//   present but wrong (string, fraction, out of range) is an error.
// - The 2048-character limit is measured on the string as returned for string documents, and on
//   JSON.stringify (no whitespace) for object documents, the smallest form AWS could measure.
// - A response with isAuthenticated false must still be well formed: the same rules apply.
// - Unknown top-level fields are warnings: the guide's own sample output carries a "password".
import { asToolReading } from './toolReading';
import {
  AWS_ACCOUNT_ID_PATTERN,
  AWS_REGION_PATTERN,
  IOT_POLICY_VERSION,
  MAX_DISCONNECT_SECONDS,
  MAX_POLICY_DOCUMENTS,
  MAX_POLICY_DOCUMENT_LENGTH,
  MAX_REFRESH_SECONDS,
  MIN_DISCONNECT_SECONDS,
  MIN_REFRESH_SECONDS,
  PRINCIPAL_ID_MAX_LENGTH,
  PRINCIPAL_ID_PATTERN,
} from './constants';
import type { PolicyDocument } from './policy';
import {
  IOT_ACTION_SERVICES,
  IOT_POLICY_ACTIONS,
  IOT_RESOURCE_TYPES,
  IotResourceType,
  actionsMatching,
  canonicalActionName,
  classifyPolicyVariable,
  compilePattern,
  editDistance,
  hasWildcard,
  parseArn,
  suggestAction,
  suggestVariable,
  variablesIn,
} from './policyMatch';

export type FindingSeverity = 'error' | 'warning' | 'info';

export interface ValidationFinding {
  /** Stable, e.g. `PRINCIPAL_ID_INVALID_CHARS`. */
  code: string;
  severity: FindingSeverity;
  /** JSON path such as `policyDocuments[2].Statement[0].Resource`, or '' for the whole response. */
  path: string;
  message: string;
  /** How to fix it. */
  hint: string;
}

export interface ReturnedPolicyDocument {
  index: number;
  /** The parsed document when it is a JSON object; its shape is checked by the findings, not guaranteed. */
  document?: PolicyDocument;
  /** The serialized form that was measured. */
  text: string;
  length: number;
  form: 'object' | 'string';
}

export interface NormalizedResponse {
  isAuthenticated: boolean;
  principalId: string;
  refreshAfterInSeconds?: number;
  disconnectAfterInSeconds?: number;
  policyDocuments: ReturnedPolicyDocument[];
}

/** The answer as `aws iot test-invoke-authorizer` prints it: documents as JSON strings. */
export interface TestInvokeView {
  isAuthenticated: boolean;
  principalId: string;
  policyDocuments: string[];
  refreshAfterInSeconds?: number;
  disconnectAfterInSeconds?: number;
}

export interface ResponseValidation {
  /** No error findings: AWS would accept the response. */
  valid: boolean;
  findings: ValidationFinding[];
  /** Present whenever the response is an object, even an invalid one (check `valid`). */
  normalized?: NormalizedResponse;
  /** Present only when valid: an invalid response makes test-invoke fail with InvalidResponseException. */
  testInvokeView?: TestInvokeView;
}

const RESPONSE_FIELDS = ['isAuthenticated', 'principalId', 'policyDocuments', 'refreshAfterInSeconds', 'disconnectAfterInSeconds'] as const;
const DOCUMENT_KEYS = ['Version', 'Id', 'Statement'] as const;
const STATEMENT_KEYS = ['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'] as const;
const INVALID_RESPONSE = 'AWS rejects the whole response (test-invoke: InvalidResponseException; devices are refused).';

const EXAMPLE_RESPONSE_SHAPE = '{ "isAuthenticated": true, "principalId": "device1", "policyDocuments": [ ... ], "refreshAfterInSeconds": 300, "disconnectAfterInSeconds": 86400 }';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** A known name that `key` probably meant: same letters ignoring case and `_`, or one or two edits away. */
function didYouMean(key: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/_/g, '');
  return known.find((k) => norm(k) === norm(key)) ?? known.find((k) => editDistance(norm(k), norm(key)) <= 2);
}

class Findings {
  readonly list: ValidationFinding[] = [];
  add(severity: FindingSeverity, code: string, path: string, message: string, hint: string): void {
    this.list.push({ code, severity, path, message, hint });
  }
  error(code: string, path: string, message: string, hint: string): void {
    this.add('error', code, path, message, hint);
  }
  warning(code: string, path: string, message: string, hint: string): void {
    this.add('warning', code, path, message, hint);
  }
  info(code: string, path: string, message: string, hint: string): void {
    this.add('info', code, path, message, hint);
  }
}

/**
 * Validates the handler's return value (already decoded from the Lambda payload, as a Node handler
 * returns it). Use validateAuthorizerResponseText for the raw payload text.
 */
export function validateAuthorizerResponse(response: unknown): ResponseValidation {
  const f = new Findings();
  let root = response;
  if (root === undefined || root === null) {
    f.error(
      'RESPONSE_EMPTY',
      '',
      `The handler returned nothing (${root === null ? 'null' : 'undefined'}). ${INVALID_RESPONSE}`,
      `Return the response object, e.g. ${EXAMPLE_RESPONSE_SHAPE}. In Node, an async handler must "return" it (or call the callback); in Python, "return" the dict.`,
    );
    return finish(f);
  }
  if (typeof root === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(root);
    } catch {
      f.error('RESPONSE_MALFORMED_JSON', '', `The handler returned a string that is not JSON: ${describeType(root)}. ${INVALID_RESPONSE}`, `Return the response object itself, e.g. ${EXAMPLE_RESPONSE_SHAPE}.`);
      return finish(f);
    }
    if (!isRecord(parsed)) {
      f.error('RESPONSE_NOT_OBJECT', '', `The handler returned a JSON string holding ${describeType(parsed)}, not a response object. ${INVALID_RESPONSE}`, `Return the response object itself, e.g. ${EXAMPLE_RESPONSE_SHAPE}.`);
      return finish(f);
    }
    f.error(
      'RESPONSE_JSON_STRING',
      '',
      `The handler returned the response as a JSON string, so the Lambda payload is a string, not an object. ${INVALID_RESPONSE}`,
      'Return the object itself: drop JSON.stringify(...) in Node or json.dumps(...) in Python. (Policy documents inside it may be JSON strings; the response may not.)',
    );
    root = parsed;
  }
  if (!isRecord(root)) {
    f.error('RESPONSE_NOT_OBJECT', '', `The handler returned ${describeType(root)}, not a response object. ${INVALID_RESPONSE}`, `Return an object like ${EXAMPLE_RESPONSE_SHAPE}.`);
    return finish(f);
  }
  return finish(f, checkResponseObject(root, f));
}

/** Validates the raw Lambda payload text (what Lambda Invoke returns). */
export function validateAuthorizerResponseText(payload: string): ResponseValidation {
  if (payload.trim() === '') return validateAuthorizerResponse(undefined);
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch (e) {
    const f = new Findings();
    f.error('RESPONSE_MALFORMED_JSON', '', `The Lambda payload is not valid JSON (${(e as Error).message}). ${INVALID_RESPONSE}`, `Return a JSON object, e.g. ${EXAMPLE_RESPONSE_SHAPE}.`);
    return finish(f);
  }
  return validateAuthorizerResponse(parsed);
}

function finish(f: Findings, normalized?: NormalizedResponse): ResponseValidation {
  const valid = !f.list.some((x) => x.severity === 'error');
  const result: ResponseValidation = { valid, findings: f.list };
  if (normalized) result.normalized = normalized;
  if (valid && normalized) {
    const view: TestInvokeView = {
      isAuthenticated: normalized.isAuthenticated,
      principalId: normalized.principalId,
      policyDocuments: normalized.policyDocuments.map((d) => d.text),
    };
    if (normalized.refreshAfterInSeconds !== undefined) view.refreshAfterInSeconds = normalized.refreshAfterInSeconds;
    if (normalized.disconnectAfterInSeconds !== undefined) view.disconnectAfterInSeconds = normalized.disconnectAfterInSeconds;
    result.testInvokeView = view;
  }
  return result;
}

function checkResponseObject(root: Record<string, unknown>, f: Findings): NormalizedResponse {
  const isAuthenticated = checkIsAuthenticated(root, f);
  const principalId = checkPrincipalId(root, f);
  const policyDocuments = checkPolicyDocuments(root, f, isAuthenticated);
  const refreshAfterInSeconds = checkSeconds(root, f, 'refreshAfterInSeconds', 'REFRESH_AFTER', MIN_REFRESH_SECONDS, MAX_REFRESH_SECONDS,
    'AWS does not document a default; without it the refresh interval is up to AWS.');
  const disconnectAfterInSeconds = checkSeconds(root, f, 'disconnectAfterInSeconds', 'DISCONNECT_AFTER', MIN_DISCONNECT_SECONDS, MAX_DISCONNECT_SECONDS,
    `AWS documents a default of ${MAX_DISCONNECT_SECONDS}.`);
  for (const key of Object.keys(root)) {
    if ((RESPONSE_FIELDS as readonly string[]).includes(key)) continue;
    const meant = didYouMean(key, RESPONSE_FIELDS);
    f.warning(
      'RESPONSE_UNKNOWN_FIELD',
      key,
      `"${key}" is not part of the response AWS IoT reads; AWS ignores it.`,
      meant
        ? `Did you mean "${meant}"? Field names are case-sensitive.`
        : `Remove it: AWS reads only ${RESPONSE_FIELDS.join(', ')}.`,
    );
  }
  const normalized: NormalizedResponse = { isAuthenticated: isAuthenticated === true, principalId: typeof principalId === 'string' ? principalId : '', policyDocuments };
  if (refreshAfterInSeconds !== undefined) normalized.refreshAfterInSeconds = refreshAfterInSeconds;
  if (disconnectAfterInSeconds !== undefined) normalized.disconnectAfterInSeconds = disconnectAfterInSeconds;
  return normalized;
}

function checkIsAuthenticated(root: Record<string, unknown>, f: Findings): boolean | undefined {
  const value = root.isAuthenticated;
  if (value === undefined) {
    f.error('IS_AUTHENTICATED_MISSING', 'isAuthenticated', `"isAuthenticated" is missing. ${INVALID_RESPONSE}`, 'Add "isAuthenticated": true to let the device in, or false to refuse it.');
    return undefined;
  }
  if (typeof value !== 'boolean') {
    const looksBoolean = typeof value === 'string' && /^(true|false)$/i.test(value.trim());
    f.error(
      'IS_AUTHENTICATED_NOT_BOOLEAN',
      'isAuthenticated',
      `"isAuthenticated" must be a JSON boolean, not ${describeType(value)}. ${INVALID_RESPONSE}`,
      looksBoolean
        ? `Use the boolean ${value === 'true' || String(value).trim().toLowerCase() === 'true' ? 'true' : 'false'} without quotes (in Python: True/False, not "True").`
        : 'Use true or false.',
    );
    return undefined;
  }
  if (!value) {
    f.info('IS_AUTHENTICATED_FALSE', 'isAuthenticated', 'The response refuses the request: AWS rejects the connection and ignores the policies.', 'Nothing to fix if that was intended; a refusal must still be a well-formed response.');
  }
  return value;
}

function checkPrincipalId(root: Record<string, unknown>, f: Findings): string | undefined {
  const value = root.principalId;
  const rule = `letters and digits only ([a-zA-Z0-9]), 1 to ${PRINCIPAL_ID_MAX_LENGTH} characters`;
  if (value === undefined) {
    f.error('PRINCIPAL_ID_MISSING', 'principalId', `"principalId" is missing. ${INVALID_RESPONSE}`, `Add "principalId": an id for the caller, ${rule}, e.g. "device1".`);
    return undefined;
  }
  if (typeof value !== 'string') {
    f.error('PRINCIPAL_ID_NOT_STRING', 'principalId', `"principalId" must be a string, not ${describeType(value)}. ${INVALID_RESPONSE}`,
      typeof value === 'number' ? asToolReading(`Send it as a string: "principalId": "${value}".`) : `Use a string of ${rule}.`);
    return undefined;
  }
  if (value.length === 0) {
    f.error('PRINCIPAL_ID_EMPTY', 'principalId', `"principalId" is empty. ${INVALID_RESPONSE}`, `Use ${rule}, e.g. "device1".`);
    return value;
  }
  const chars = [...value];
  const offending = [...new Set(chars.filter((c) => !PRINCIPAL_ID_PATTERN.test(c)))];
  if (offending.length > 0) {
    const named = offending.map((c) => (c === ' ' ? "' ' (space)" : `'${c}'`)).join(', ');
    const cleaned = chars.filter((c) => PRINCIPAL_ID_PATTERN.test(c)).join('').slice(0, PRINCIPAL_ID_MAX_LENGTH);
    f.error(
      'PRINCIPAL_ID_INVALID_CHARS',
      'principalId',
      `principalId ${JSON.stringify(value)} contains ${named}: AWS allows ${rule}. ${INVALID_RESPONSE}`,
      cleaned ? `Remove or replace them, e.g. ${JSON.stringify(cleaned)}.` : 'Use letters and digits only, e.g. "device1".',
    );
  }
  if (value.length > PRINCIPAL_ID_MAX_LENGTH) {
    f.error('PRINCIPAL_ID_TOO_LONG', 'principalId', `principalId is ${value.length} characters long; AWS allows at most ${PRINCIPAL_ID_MAX_LENGTH}. ${INVALID_RESPONSE}`,
      `Shorten it to ${PRINCIPAL_ID_MAX_LENGTH} characters or fewer, e.g. a hash of the long id in hex.`);
  }
  return value;
}

function checkSeconds(
  root: Record<string, unknown>, f: Findings, field: string, prefix: string, min: number, max: number, defaultNote: string,
): number | undefined {
  const value = root[field];
  const range = `an integer from ${min} to ${max} seconds`;
  if (value === undefined) {
    f.warning(`${prefix}_MISSING`, field, `"${field}" is missing. AWS documents it as ${range} but does not say it is required. ${defaultNote}`, `Set it explicitly, e.g. "${field}": ${field.startsWith('refresh') ? min : max}.`);
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    const numeric = typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value));
    f.error(`${prefix}_NOT_NUMBER`, field, `"${field}" must be ${range}, not ${describeType(value)}. ${INVALID_RESPONSE}`,
      numeric ? `Send the number without quotes: "${field}": ${Number(value)}.` : `Use ${range}.`);
    return undefined;
  }
  if (!Number.isInteger(value)) {
    f.error(`${prefix}_NOT_INTEGER`, field, `"${field}" must be a whole number of seconds, not ${value}. ${INVALID_RESPONSE}`, `Round it, e.g. ${Math.min(max, Math.max(min, Math.round(value)))}.`);
    return undefined;
  }
  if (value < min || value > max) {
    f.error(`${prefix}_OUT_OF_RANGE`, field, `"${field}" is ${value}; it must be ${range}. ${INVALID_RESPONSE}`, `Use a value from ${min} to ${max}, e.g. ${value < min ? min : max}.`);
    return undefined;
  }
  return value;
}

function checkPolicyDocuments(root: Record<string, unknown>, f: Findings, isAuthenticated: boolean | undefined): ReturnedPolicyDocument[] {
  const value = root.policyDocuments;
  if (value === undefined) {
    f.error('POLICY_DOCUMENTS_MISSING', 'policyDocuments', `"policyDocuments" is missing. ${INVALID_RESPONSE}`, 'Add "policyDocuments": a list of up to 10 IoT policy documents (objects or JSON strings); [] when refusing.');
    return [];
  }
  if (!Array.isArray(value)) {
    f.error('POLICY_DOCUMENTS_NOT_ARRAY', 'policyDocuments', `"policyDocuments" must be a list, not ${describeType(value)}. ${INVALID_RESPONSE}`,
      isRecord(value) || typeof value === 'string' ? 'Wrap the document in a list: "policyDocuments": [ { "Version": "2012-10-17", "Statement": [ ... ] } ].' : 'Use a list of policy documents.');
    return [];
  }
  if (value.length > MAX_POLICY_DOCUMENTS) {
    f.error('POLICY_DOCUMENTS_TOO_MANY', 'policyDocuments', `"policyDocuments" holds ${value.length} documents; AWS allows at most ${MAX_POLICY_DOCUMENTS}. ${INVALID_RESPONSE}`,
      'Merge statements into fewer documents (each up to 2048 characters), or use wildcards and ${iot:ClientId} to need fewer statements.');
  }
  if (value.length === 0 && isAuthenticated === true) {
    f.warning('POLICY_DOCUMENTS_EMPTY', 'policyDocuments', 'The request is authenticated but no policy is returned: every action, including iot:Connect, is denied.', 'Return at least one document allowing iot:Connect and the topics the device uses.');
  }
  const views: ReturnedPolicyDocument[] = [];
  value.forEach((item, index) => {
    const path = `policyDocuments[${index}]`;
    let document: unknown;
    let text: string;
    let form: 'object' | 'string';
    if (typeof item === 'string') {
      form = 'string';
      text = item;
      try {
        document = JSON.parse(item);
      } catch (e) {
        f.error('POLICY_DOCUMENT_NOT_JSON', path, `Policy document ${index} is a string but not valid JSON (${(e as Error).message}). ${INVALID_RESPONSE}`, 'Return the document as an object, or JSON.stringify / json.dumps the object.');
      }
      if (document !== undefined && !isRecord(document)) {
        f.error('POLICY_DOCUMENT_NOT_OBJECT', path, `Policy document ${index} is a JSON string holding ${describeType(document)}, not a policy object. ${INVALID_RESPONSE}`, 'The string must hold an object like {"Version": "2012-10-17", "Statement": [ ... ]}.');
        document = undefined;
      }
    } else if (isRecord(item)) {
      form = 'object';
      document = item;
      text = JSON.stringify(item);
    } else {
      f.error('POLICY_DOCUMENT_WRONG_TYPE', path, `Policy document ${index} is ${describeType(item)}; it must be a policy object or a JSON string of one. ${INVALID_RESPONSE}`, 'Use {"Version": "2012-10-17", "Statement": [ ... ]}.');
      const shown = JSON.stringify(item) ?? String(item);
      views.push({ index, text: shown, length: shown.length, form: 'object' });
      return;
    }
    if (text.length > MAX_POLICY_DOCUMENT_LENGTH) {
      const minified = form === 'string' && isRecord(document) ? JSON.stringify(document).length : undefined;
      f.error(
        'POLICY_DOCUMENT_TOO_LONG',
        path,
        `Policy document ${index} is ${text.length} characters ${form === 'object' ? 'serialized without whitespace' : 'long'}; AWS allows at most ${MAX_POLICY_DOCUMENT_LENGTH}. ${INVALID_RESPONSE}`,
        minified !== undefined && minified <= MAX_POLICY_DOCUMENT_LENGTH
          ? `Without whitespace it is ${minified} characters: serialize it compactly (JSON.stringify(doc) with no indent, json.dumps(doc, separators=(",", ":"))).`
          : `Split its statements across several documents (up to ${MAX_POLICY_DOCUMENTS}), or use wildcards and \${iot:ClientId} to shorten resource lists.`,
      );
    }
    if (isRecord(document)) checkPolicyDocument(document, path, f);
    views.push({ index, document: isRecord(document) ? (document as unknown as PolicyDocument) : undefined, text, length: text.length, form });
  });
  if (isAuthenticated === true && views.length > 0 && views.every((v) => v.document) && !views.some((v) => hasAllowStatement(v.document))) {
    f.warning('NO_ALLOW_STATEMENT', 'policyDocuments', 'The request is authenticated but no statement has "Effect": "Allow": every action is denied.', 'Add an Allow statement for iot:Connect and the topics the device uses.');
  }
  return views;
}

function hasAllowStatement(document: PolicyDocument | undefined): boolean {
  const raw: unknown = document?.Statement;
  const list: unknown[] = Array.isArray(raw) ? raw : [raw];
  return list.some((s) => isRecord(s) && s.Effect === 'Allow');
}

/**
 * Lints one policy document the way AWS IoT reads it. `path` prefixes every finding's path.
 * Exported for editors that check a policy file on its own.
 */
export function lintPolicyDocument(document: unknown, path = ''): ValidationFinding[] {
  const f = new Findings();
  if (!isRecord(document)) {
    f.error('POLICY_DOCUMENT_NOT_OBJECT', path, `A policy document must be a JSON object, not ${describeType(document)}.`, 'Use {"Version": "2012-10-17", "Statement": [ ... ]}.');
  } else {
    checkPolicyDocument(document, path, f);
  }
  return f.list;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function checkPolicyDocument(doc: Record<string, unknown>, path: string, f: Findings): void {
  for (const key of Object.keys(doc)) {
    if ((DOCUMENT_KEYS as readonly string[]).includes(key)) continue;
    const meant = didYouMean(key, DOCUMENT_KEYS);
    f.warning('POLICY_UNKNOWN_KEY', join(path, key), `"${key}" is not a policy document element; AWS IoT ignores or rejects it.`, meant ? `Did you mean "${meant}"? Element names are case-sensitive.` : 'A policy document has "Version" and "Statement" (and optionally "Id").');
  }
  const version = doc.Version;
  const substitutes = version === IOT_POLICY_VERSION;
  if (version === undefined) {
    f.warning('POLICY_VERSION_MISSING', join(path, 'Version'), `"Version" is missing: policy variables such as \${iot:ClientId} are then not substituted.`, `Add "Version": "${IOT_POLICY_VERSION}".`);
  } else if (!substitutes) {
    f.warning('POLICY_VERSION_UNSUPPORTED', join(path, 'Version'), `"Version" is ${JSON.stringify(version)}; AWS IoT policies use "${IOT_POLICY_VERSION}", the version that substitutes policy variables.`, `Use "Version": "${IOT_POLICY_VERSION}".`);
  }
  const raw = doc.Statement;
  const statementPath = join(path, 'Statement');
  if (raw === undefined) {
    f.error('POLICY_STATEMENT_MISSING', statementPath, `The document has no "Statement". ${INVALID_RESPONSE}`, 'Add "Statement": [ { "Effect": "Allow", "Action": "iot:Connect", "Resource": "arn:aws:iot:<region>:<account>:client/${iot:ClientId}" } ].');
    return;
  }
  if (!Array.isArray(raw) && !isRecord(raw)) {
    f.error('POLICY_STATEMENT_INVALID', statementPath, `"Statement" must be an object or a list of objects, not ${describeType(raw)}. ${INVALID_RESPONSE}`, 'Use "Statement": [ { "Effect": ..., "Action": ..., "Resource": ... } ].');
    return;
  }
  if (Array.isArray(raw) && raw.length === 0) {
    f.warning('POLICY_STATEMENT_EMPTY', statementPath, 'The document has no statements: it allows nothing.', 'Add the statements the device needs, or drop the document.');
  }
  const list: unknown[] = Array.isArray(raw) ? raw : [raw];
  list.forEach((st, i) => checkStatement(st, Array.isArray(raw) ? `${statementPath}[${i}]` : statementPath, substitutes, f));
}

function readStringList(st: Record<string, unknown>, key: string, path: string, f: Findings, code: string): { values: string[]; paths: string[] } | undefined {
  const value = st[key];
  if (typeof value === 'string') return { values: [value], paths: [join(path, key)] };
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) {
    return { values: value as string[], paths: value.map((_, i) => `${join(path, key)}[${i}]`) };
  }
  f.error(code, join(path, key), `"${key}" must be a string or a non-empty list of strings, not ${describeType(value)}. ${INVALID_RESPONSE}`, `E.g. "${key}": ["${key.endsWith('Action') ? 'iot:Publish' : 'arn:aws:iot:<region>:<account>:topic/a/b'}"].`);
  return undefined;
}

function checkStatement(st: unknown, path: string, substitutes: boolean, f: Findings): void {
  if (!isRecord(st)) {
    f.error('POLICY_STATEMENT_INVALID', path, `A statement must be an object, not ${describeType(st)}. ${INVALID_RESPONSE}`, 'Use { "Effect": "Allow", "Action": ..., "Resource": ... }.');
    return;
  }
  for (const key of Object.keys(st)) {
    if ((STATEMENT_KEYS as readonly string[]).includes(key)) continue;
    if (key === 'Principal' || key === 'NotPrincipal') {
      f.warning('STATEMENT_UNKNOWN_KEY', join(path, key), `"${key}" has no meaning in an IoT policy returned by an authorizer: the policy applies to the connection it is returned for.`, `Remove "${key}".`);
      continue;
    }
    const meant = didYouMean(key, STATEMENT_KEYS);
    f.warning('STATEMENT_UNKNOWN_KEY', join(path, key), `"${key}" is not a statement element; AWS IoT ignores or rejects it.`, meant ? `Did you mean "${meant}"? Element names are case-sensitive.` : `A statement has ${STATEMENT_KEYS.join(', ')}.`);
  }
  const effect = st.Effect;
  if (effect === undefined) {
    f.error('STATEMENT_EFFECT_MISSING', join(path, 'Effect'), `The statement has no "Effect". ${INVALID_RESPONSE}`, 'Add "Effect": "Allow" or "Deny".');
  } else if (effect !== 'Allow' && effect !== 'Deny') {
    const fixed = typeof effect === 'string' && /^(allow|deny)$/i.test(effect) ? `"${effect[0].toUpperCase()}${effect.slice(1).toLowerCase()}"` : undefined;
    f.error('STATEMENT_EFFECT_INVALID', join(path, 'Effect'), `"Effect" must be "Allow" or "Deny", not ${describeType(effect)}. ${INVALID_RESPONSE}`, fixed ? asToolReading(`Use ${fixed}: the value is case-sensitive.`) : 'Use "Allow" or "Deny".');
  }
  const actionKey = pickOne(st, 'Action', 'NotAction', path, f, 'STATEMENT_ACTION', 'iot:Publish');
  const resourceKey = pickOne(st, 'Resource', 'NotResource', path, f, 'STATEMENT_RESOURCE', 'arn:aws:iot:<region>:<account>:topic/a/b');
  const actions = actionKey ? readStringList(st, actionKey, path, f, 'STATEMENT_ACTION_INVALID') : undefined;
  const resources = resourceKey ? readStringList(st, resourceKey, path, f, 'STATEMENT_RESOURCE_INVALID') : undefined;
  actions?.values.forEach((a, i) => checkAction(a, actions.paths[i], f));
  resources?.values.forEach((r, i) => checkResource(r, resources.paths[i], substitutes, f));
  if (actions && resources && actionKey === 'Action' && resourceKey === 'Resource') {
    checkActionResourceTypes(actions.values, resources.values, join(path, 'Resource'), f);
  }
  if (st.Condition !== undefined) {
    const condition = st.Condition;
    if (!isRecord(condition) || !Object.values(condition).every(isRecord)) {
      f.error('STATEMENT_CONDITION_INVALID', join(path, 'Condition'), `"Condition" must be an object of operator objects, e.g. {"StringEquals": {"iot:ClientId": "device1"}}. ${INVALID_RESPONSE}`, 'Fix the Condition block, or remove it.');
    } else if (Object.values(condition).some((block) => isRecord(block) && 'iot:ClientId' in block)) {
      f.info('CONDITION_CLIENT_ID_KEY', join(path, 'Condition'), 'The condition uses iot:ClientId as a condition key; this toolkit evaluates it with the connection\'s client id.',
        asToolReading('AWS documents ${iot:ClientId} as a policy variable; to be safe, put it in the Resource (client/${iot:ClientId}) instead.'));
    }
  }
}

/** Exactly one of `key` and `notKey`; returns the one present. */
function pickOne(st: Record<string, unknown>, key: string, notKey: string, path: string, f: Findings, code: string, example: string): string | undefined {
  const has = st[key] !== undefined;
  const hasNot = st[notKey] !== undefined;
  if (has && hasNot) {
    f.error(`${code}_CONFLICT`, join(path, notKey), `A statement may have "${key}" or "${notKey}", not both. ${INVALID_RESPONSE}`, `Keep one; move the other into its own statement.`);
    return undefined;
  }
  if (!has && !hasNot) {
    f.error(`${code}_MISSING`, join(path, key), `The statement has no "${key}". ${INVALID_RESPONSE}`, `Add "${key}": e.g. "${example}".`);
    return undefined;
  }
  return has ? key : notKey;
}

function checkAction(action: string, path: string, f: Findings): void {
  if (action === '*') return;
  const colon = action.indexOf(':');
  if (colon < 0) {
    const suggestion = suggestAction(`iot:${action}`);
    f.warning('ACTION_UNKNOWN', path, `Action ${JSON.stringify(action)} has no service prefix, so it matches no IoT action.`, suggestion ? `Did you mean "${suggestion}"?` : 'Write actions as "iot:<Action>", e.g. "iot:Publish".');
    return;
  }
  const service = action.slice(0, colon).toLowerCase();
  if (!hasWildcard(compilePattern(action.slice(0, colon))) && !IOT_ACTION_SERVICES.includes(service)) {
    f.warning('ACTION_NOT_IOT', path, `${JSON.stringify(action)} is not an AWS IoT action: an IoT connection never performs it, so it grants nothing here.`, 'IoT policies use iot: actions such as iot:Connect, iot:Publish, iot:Subscribe, iot:Receive. Other services are authorized by IAM, not by this response.');
    return;
  }
  if (hasWildcard(compilePattern(action))) {
    if (actionsMatching(action).length === 0) {
      f.warning('ACTION_UNKNOWN', path, `${JSON.stringify(action)} matches no AWS IoT action.`, `Known actions: ${Object.keys(IOT_POLICY_ACTIONS).filter((a) => a.startsWith('iot:')).slice(0, 6).join(', ')}, …`);
    }
    return;
  }
  if (!canonicalActionName(action)) {
    const suggestion = suggestAction(action);
    f.warning('ACTION_UNKNOWN', path, `${JSON.stringify(action)} is not an AWS IoT action; it matches nothing.`, suggestion ? `Did you mean "${suggestion}"?` : 'Check the action name against the AWS IoT Core policy actions list.');
  }
}

function checkResource(resource: string, path: string, substitutes: boolean, f: Findings): void {
  if (resource === '*') return;
  const variables = variablesIn(resource);
  for (const name of variables) {
    const kind = classifyPolicyVariable(name);
    if (kind === 'unknown') {
      const close = suggestVariable(name);
      f.warning('VARIABLE_UNKNOWN', path, `\${${name}} is not a policy variable AWS IoT documents; this resource matches nothing.`, close ? `Did you mean \${${close}}? Variable names are case-sensitive.` : 'Use ${iot:ClientId}, or build the resource name in the Lambda.');
    } else if (kind !== 'connection') {
      f.warning('VARIABLE_NOT_FOR_CUSTOM_AUTH', path,
        kind === 'thing'
          ? `\${${name}} resolves only for principals attached to a thing (certificates, Cognito identities); a custom-authorizer connection has none, so this resource matches nothing.`
          : `\${${name}} is an X.509 certificate variable; a custom-authorizer connection presents no client certificate, so this resource matches nothing.`,
        'Use ${iot:ClientId}, or write the thing name into the policy in the Lambda.');
    }
  }
  if (variables.length > 0 && !substitutes) {
    f.warning('VARIABLE_WITHOUT_VERSION', path, `This resource uses \${...} but the document's Version is not "${IOT_POLICY_VERSION}", so the variable is matched as literal text.`, `Set "Version": "${IOT_POLICY_VERSION}".`);
  }
  const arn = parseArn(resource);
  if (!arn) {
    const looksLikeName = /^(client|topic|topicfilter|thing)\//.test(resource);
    f.warning('RESOURCE_NOT_ARN', path, `${JSON.stringify(resource)} is not an ARN of the form arn:aws:iot:<region>:<account>:<type>/<name>; it matches nothing.`,
      looksLikeName ? `Use "arn:aws:iot:<region>:<account>:${resource}".` : 'Write the full ARN, e.g. "arn:aws:iot:<region>:<account>:topic/a/b", or "*".');
    return;
  }
  const wild = (s: string) => hasWildcard(compilePattern(s)) || s.includes('${');
  if (!wild(arn.service) && arn.service !== 'iot') {
    f.warning('RESOURCE_NOT_IOT', path, `${JSON.stringify(resource)} names the service "${arn.service}", not "iot": it matches no IoT resource.`, `Use "arn:${arn.partition}:iot:${arn.region}:${arn.account}:${arn.resource}".`);
    return;
  }
  const placeholders: string[] = [];
  if (!wild(arn.region) && !AWS_REGION_PATTERN.test(arn.region)) placeholders.push(`region "${arn.region}"`);
  if (!wild(arn.account) && !AWS_ACCOUNT_ID_PATTERN.test(arn.account)) placeholders.push(`account "${arn.account}"`);
  if (placeholders.length > 0) {
    f.warning('RESOURCE_PLACEHOLDER', path, `${JSON.stringify(resource)} has ${placeholders.join(' and ')}, which no real request carries; it matches nothing.`, 'Put the real region (e.g. eu-west-1) and 12-digit account id, or "*" for either.');
  }
  const typeText = arn.type ?? arn.resource;
  if (!wild(typeText) && !(IOT_RESOURCE_TYPES as readonly string[]).includes(typeText)) {
    const meant = didYouMean(typeText, IOT_RESOURCE_TYPES);
    f.warning('RESOURCE_UNKNOWN_TYPE', path, `"${typeText}" is not an AWS IoT resource type (client, topic, topicfilter, thing, rolealias); this resource matches nothing.`, meant ? `Did you mean "${meant}/"?` : 'Use client/<clientId>, topic/<topic> or topicfilter/<filter>.');
    return;
  }
  const name = arn.name ?? '';
  if (/[+#]/.test(name) && (arn.type === 'topic' || arn.type === 'client')) {
    const star = name.replace(/#$/, '*').replace(/\+/g, '*');
    f.warning('RESOURCE_MQTT_WILDCARD', path, `'+' and '#' are literal characters in a policy: ${arn.type}/${name} matches only the ${arn.type === 'topic' ? 'topic' : 'client id'} named exactly "${name}".`, `Use the policy wildcard '*': ${arn.type}/${star}.`);
  } else if (/[+#]/.test(name) && arn.type === 'topicfilter') {
    f.info('RESOURCE_MQTT_WILDCARD', path, `topicfilter/${name} allows subscribing to the filter "${name}" exactly ('+' and '#' are literal here), not to narrower filters.`, `To allow any filter under it too, add topicfilter/${name.replace(/[+#].*$/, '*')}.`);
  }
}

/** Warns when an action in a statement can never match any of its resources because the types differ. */
function checkActionResourceTypes(actions: readonly string[], resources: readonly string[], path: string, f: Findings): void {
  const typesOfResources = new Set<string>();
  for (const r of resources) {
    const arn = parseArn(r);
    if (r === '*' || !arn) return; // '*' covers every type; non-ARNs are reported on their own.
    const typeText = arn.type ?? arn.resource;
    if (hasWildcard(compilePattern(typeText)) || typeText.includes('${')) return;
    typesOfResources.add(typeText);
  }
  const neededBy = new Map<string, IotResourceType | '*'>();
  for (const a of actions) {
    if (hasWildcard(compilePattern(a))) return; // `iot:*` and friends span several types by design.
    const canonical = canonicalActionName(a);
    if (canonical) neededBy.set(canonical, IOT_POLICY_ACTIONS[canonical]);
  }
  if (neededBy.size === 0) return; // unknown actions are reported on their own.
  const mismatched = [...neededBy].filter(([, type]) => type !== '*' && !typesOfResources.has(type));
  for (const [action, type] of mismatched) {
    const sample = resources.map((r) => parseArn(r)).find((arn) => arn?.name !== undefined);
    const rewritten = sample ? `arn:${sample.partition}:iot:${sample.region}:${sample.account}:${type}/${sample.name}` : `arn:aws:iot:<region>:<account>:${type}/<name>`;
    f.warning('RESOURCE_TYPE_MISMATCH', path,
      `${action} is checked against ${type}/ ARNs, but this statement names only ${[...typesOfResources].map((t) => `${t}/`).join(', ')} resources: it never matches ${action}.`,
      `Use ${rewritten}${neededBy.size > 1 ? `, or move ${action} to its own statement` : ''}.`);
  }
  if (mismatched.length > 0) return;
  const used = new Set([...neededBy.values()]);
  for (const type of typesOfResources) {
    if (!used.has(type as IotResourceType)) {
      f.warning('RESOURCE_TYPE_MISMATCH', path, `This statement names ${type}/ resources, but none of its actions (${[...neededBy.keys()].join(', ')}) is checked against ${type}/ ARNs: those resources never match.`, 'Pair each action with its resource type: iot:Connect → client/, iot:Publish/Receive/RetainPublish → topic/, iot:Subscribe → topicfilter/.');
    }
  }
}
