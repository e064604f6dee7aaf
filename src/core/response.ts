// Checks what an authorizer Lambda returned against the rules AWS IoT applies (docs/aws-custom-auth.md: "The authorizer's response") before any
// device is let in, and lints each returned policy document with policyLint.ts. Every finding names its JSON path,
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
import {
  MAX_DISCONNECT_SECONDS,
  MAX_POLICY_DOCUMENTS,
  MAX_POLICY_DOCUMENT_LENGTH,
  MAX_REFRESH_SECONDS,
  MIN_DISCONNECT_SECONDS,
  MIN_REFRESH_SECONDS,
  PRINCIPAL_ID_MAX_LENGTH,
  PRINCIPAL_ID_PATTERN,
} from './constants';
import { asToolReading } from './toolReading';
import { isRecord, PolicyDocument, statementEntries } from './policy';
import { checkPolicyDocument, describeType, didYouMean, Findings, INVALID_RESPONSE } from './policyLint';

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


const EXAMPLE_RESPONSE_SHAPE = '{ "isAuthenticated": true, "principalId": "device1", "policyDocuments": [ ... ], "refreshAfterInSeconds": 300, "disconnectAfterInSeconds": 86400 }';

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
  return statementEntries(document?.Statement, 'Statement').some(({ statement }) => isRecord(statement) && statement.Effect === 'Allow');
}

