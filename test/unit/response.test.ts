import * as assert from 'assert';
import {
  MAX_DISCONNECT_SECONDS,
  MAX_POLICY_DOCUMENT_LENGTH,
  MAX_POLICY_DOCUMENTS,
  MIN_REFRESH_SECONDS,
  PRINCIPAL_ID_MAX_LENGTH,
} from '../../src/core/constants';
import { lintPolicyDocument } from '../../src/core/policyLint';
import {
  ResponseValidation,
  validateAuthorizerResponse,
  validateAuthorizerResponseText,
  ValidationFinding,
} from '../../src/core/response';

const ARN = 'arn:aws:iot:eu-west-1:123456789012:';

/** The example response of AWS's documentation (docs/aws-custom-auth.md, "The authorizer's response"). */
function domainExample(): Record<string, unknown> {
  return {
    isAuthenticated: true,
    principalId: 'myPrincipalDevice123',
    disconnectAfterInSeconds: 86400,
    refreshAfterInSeconds: 300,
    policyDocuments: [
      { Version: '2012-10-17', Statement: [{ Action: 'iot:Publish', Effect: 'Allow', Resource: 'arn:aws:iot:*:*:topic/customAuthTestTopic' }] },
    ],
  };
}

function exampleDocument(): unknown {
  return (domainExample().policyDocuments as unknown[])[0];
}

/** The domain example with `patch` applied; `undefined` values delete the field. */
function response(patch: Record<string, unknown> = {}): Record<string, unknown> {
  const r: Record<string, unknown> = { ...domainExample(), ...patch };
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete r[k];
  return r;
}

/** A response whose only policy document has these statements. */
function withStatements(...statements: unknown[]): Record<string, unknown> {
  return response({ policyDocuments: [{ Version: '2012-10-17', Statement: statements }] });
}

function find(v: ResponseValidation, code: string): ValidationFinding {
  const f = v.findings.find((x) => x.code === code);
  assert.ok(f, `expected ${code} in ${JSON.stringify(v.findings, null, 1)}`);
  return f;
}

function codes(v: ResponseValidation | ValidationFinding[]): string[] {
  return (Array.isArray(v) ? v : v.findings).map((f) => `${f.severity}:${f.code}`);
}

interface RuleCase {
  name: string;
  input: unknown;
  valid: boolean;
  /** `severity:CODE` entries that must all be present. */
  expect: string[];
  /** The JSON path of the first expected finding. */
  path?: string;
  /** Patterns the first expected finding's message must match. */
  message?: RegExp;
  hint?: RegExp;
}

const longPrincipal = 'a'.repeat(PRINCIPAL_ID_MAX_LENGTH);

/** An object document whose compact JSON is exactly `length` characters. */
function documentOfLength(length: number): Record<string, unknown> {
  const base = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}topic/` }] };
  const pad = length - JSON.stringify(base).length;
  return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}topic/${'x'.repeat(pad)}` }] };
}

const RULES: RuleCase[] = [
  // The response itself
  { name: 'undefined is "returned nothing"', input: undefined, valid: false, expect: ['error:RESPONSE_EMPTY'], path: '', message: /returned nothing/, hint: /return/ },
  { name: 'null is "returned nothing"', input: null, valid: false, expect: ['error:RESPONSE_EMPTY'], message: /null/ },
  { name: 'a JSON string of the response is refused, and says to return the object', input: JSON.stringify(domainExample()), valid: false, expect: ['error:RESPONSE_JSON_STRING'], hint: /JSON\.stringify|json\.dumps/ },
  { name: 'a string that is not JSON is malformed', input: 'Allow', valid: false, expect: ['error:RESPONSE_MALFORMED_JSON'], message: /"Allow"/ },
  { name: 'a JSON string of a non-object is not a response', input: '[1,2]', valid: false, expect: ['error:RESPONSE_NOT_OBJECT'] },
  { name: 'a list is not a response', input: [domainExample()], valid: false, expect: ['error:RESPONSE_NOT_OBJECT'], message: /a list/ },
  { name: 'a boolean is not a response', input: true, valid: false, expect: ['error:RESPONSE_NOT_OBJECT'] },
  { name: 'an unknown top-level field is a warning that AWS ignores it', input: response({ context: { a: 1 } }), valid: true, expect: ['warning:RESPONSE_UNKNOWN_FIELD'], path: 'context', message: /ignores/ },
  { name: 'a mis-cased field gets a "did you mean"', input: response({ principalId: undefined, principalID: 'abc' }), valid: false, expect: ['warning:RESPONSE_UNKNOWN_FIELD', 'error:PRINCIPAL_ID_MISSING'], hint: /Did you mean "principalId"/ },
  { name: 'API Gateway\'s singular policyDocument gets a "did you mean"', input: response({ policyDocuments: undefined, policyDocument: {} }), valid: false, expect: ['warning:RESPONSE_UNKNOWN_FIELD', 'error:POLICY_DOCUMENTS_MISSING'], hint: /policyDocuments/ },

  // isAuthenticated
  { name: 'isAuthenticated missing', input: response({ isAuthenticated: undefined }), valid: false, expect: ['error:IS_AUTHENTICATED_MISSING'], path: 'isAuthenticated' },
  { name: 'isAuthenticated "true" as a string', input: response({ isAuthenticated: 'true' }), valid: false, expect: ['error:IS_AUTHENTICATED_NOT_BOOLEAN'], hint: /boolean true without quotes/ },
  { name: 'isAuthenticated 1', input: response({ isAuthenticated: 1 }), valid: false, expect: ['error:IS_AUTHENTICATED_NOT_BOOLEAN'] },
  { name: 'isAuthenticated false is valid, with an info', input: response({ isAuthenticated: false }), valid: true, expect: ['info:IS_AUTHENTICATED_FALSE'] },

  // principalId
  { name: 'principalId missing', input: response({ principalId: undefined }), valid: false, expect: ['error:PRINCIPAL_ID_MISSING'], path: 'principalId' },
  { name: 'principalId as a number', input: response({ principalId: 123 }), valid: false, expect: ['error:PRINCIPAL_ID_NOT_STRING'], hint: /"123"/ },
  { name: 'principalId empty', input: response({ principalId: '' }), valid: false, expect: ['error:PRINCIPAL_ID_EMPTY'] },
  { name: 'principalId "device-1" names the dash and suggests "device1"', input: response({ principalId: 'device-1' }), valid: false, expect: ['error:PRINCIPAL_ID_INVALID_CHARS'], message: /'-'/, hint: /"device1"/ },
  { name: 'principalId "a@b c" names each offending character once', input: response({ principalId: 'a@b c@' }), valid: false, expect: ['error:PRINCIPAL_ID_INVALID_CHARS'], message: /'@', ' ' \(space\):/ },
  { name: `principalId of ${PRINCIPAL_ID_MAX_LENGTH} characters is valid`, input: response({ principalId: longPrincipal }), valid: true, expect: [] },
  { name: `principalId of ${PRINCIPAL_ID_MAX_LENGTH + 1} characters is too long`, input: response({ principalId: `${longPrincipal}b` }), valid: false, expect: ['error:PRINCIPAL_ID_TOO_LONG'], message: new RegExp(`${PRINCIPAL_ID_MAX_LENGTH + 1} characters`) },

  // policyDocuments
  { name: 'policyDocuments missing', input: response({ policyDocuments: undefined }), valid: false, expect: ['error:POLICY_DOCUMENTS_MISSING'], path: 'policyDocuments' },
  { name: 'policyDocuments as a single object says to wrap it in a list', input: response({ policyDocuments: exampleDocument() }), valid: false, expect: ['error:POLICY_DOCUMENTS_NOT_ARRAY'], hint: /Wrap/ },
  { name: `${MAX_POLICY_DOCUMENTS} documents are allowed`, input: response({ policyDocuments: Array.from({ length: MAX_POLICY_DOCUMENTS }, exampleDocument) }), valid: true, expect: [] },
  { name: `${MAX_POLICY_DOCUMENTS + 1} documents are too many`, input: response({ policyDocuments: Array.from({ length: MAX_POLICY_DOCUMENTS + 1 }, exampleDocument) }), valid: false, expect: ['error:POLICY_DOCUMENTS_TOO_MANY'], message: new RegExp(`${MAX_POLICY_DOCUMENTS + 1} documents`) },
  { name: 'an empty list when authenticated warns that everything is denied', input: response({ policyDocuments: [] }), valid: true, expect: ['warning:POLICY_DOCUMENTS_EMPTY'] },
  { name: `a document of exactly ${MAX_POLICY_DOCUMENT_LENGTH} characters is allowed`, input: response({ policyDocuments: [documentOfLength(MAX_POLICY_DOCUMENT_LENGTH)] }), valid: true, expect: [] },
  { name: `a document of ${MAX_POLICY_DOCUMENT_LENGTH + 1} characters is too long, and says its size`, input: response({ policyDocuments: [documentOfLength(MAX_POLICY_DOCUMENT_LENGTH + 1)] }), valid: false, expect: ['error:POLICY_DOCUMENT_TOO_LONG'], path: 'policyDocuments[0]', message: new RegExp(`${MAX_POLICY_DOCUMENT_LENGTH + 1} characters serialized`), hint: /Split/ },
  { name: 'a pretty-printed string document over the limit suggests compact JSON', input: response({ policyDocuments: [JSON.stringify(documentOfLength(MAX_POLICY_DOCUMENT_LENGTH - 50), null, 8)] }), valid: false, expect: ['error:POLICY_DOCUMENT_TOO_LONG'], hint: new RegExp(`${MAX_POLICY_DOCUMENT_LENGTH - 50} characters`) },
  { name: 'a document as a JSON string is valid', input: response({ policyDocuments: [JSON.stringify(exampleDocument())] }), valid: true, expect: [] },
  { name: 'a string document that is not JSON', input: response({ policyDocuments: ['{"Version":'] }), valid: false, expect: ['error:POLICY_DOCUMENT_NOT_JSON'], path: 'policyDocuments[0]' },
  { name: 'a string document holding a list', input: response({ policyDocuments: ['[]'] }), valid: false, expect: ['error:POLICY_DOCUMENT_NOT_OBJECT'] },
  { name: 'a document that is a number', input: response({ policyDocuments: [42] }), valid: false, expect: ['error:POLICY_DOCUMENT_WRONG_TYPE'] },
  { name: 'no Allow statement while authenticated warns', input: withStatements({ Effect: 'Deny', Action: 'iot:*', Resource: '*' }), valid: true, expect: ['warning:NO_ALLOW_STATEMENT'] },

  // refreshAfterInSeconds / disconnectAfterInSeconds
  { name: 'refreshAfterInSeconds missing is a warning citing no documented default', input: response({ refreshAfterInSeconds: undefined }), valid: true, expect: ['warning:REFRESH_AFTER_MISSING'], path: 'refreshAfterInSeconds' },
  { name: 'disconnectAfterInSeconds missing is a warning citing the 86400 default', input: response({ disconnectAfterInSeconds: undefined }), valid: true, expect: ['warning:DISCONNECT_AFTER_MISSING'], message: new RegExp(`default of ${MAX_DISCONNECT_SECONDS}`) },
  { name: 'refreshAfterInSeconds "300" as a string', input: response({ refreshAfterInSeconds: '300' }), valid: false, expect: ['error:REFRESH_AFTER_NOT_NUMBER'], hint: /without quotes: "refreshAfterInSeconds": 300/ },
  { name: 'refreshAfterInSeconds 300.5 is not an integer', input: response({ refreshAfterInSeconds: 300.5 }), valid: false, expect: ['error:REFRESH_AFTER_NOT_INTEGER'] },
  { name: 'refreshAfterInSeconds 299 is below the range, which is named', input: response({ refreshAfterInSeconds: 299 }), valid: false, expect: ['error:REFRESH_AFTER_OUT_OF_RANGE'], message: /300 to 86400/ },
  { name: 'disconnectAfterInSeconds 86401 is above the range', input: response({ disconnectAfterInSeconds: 86401 }), valid: false, expect: ['error:DISCONNECT_AFTER_OUT_OF_RANGE'], message: /86401/ },
  { name: 'disconnectAfterInSeconds 0 is below the range', input: response({ disconnectAfterInSeconds: 0 }), valid: false, expect: ['error:DISCONNECT_AFTER_OUT_OF_RANGE'] },
  { name: 'both at the range ends are valid', input: response({ refreshAfterInSeconds: 86400, disconnectAfterInSeconds: 300 }), valid: true, expect: [] },

  // Policy documents
  { name: 'Version missing warns that variables are not substituted', input: response({ policyDocuments: [{ Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] }] }), valid: true, expect: ['warning:POLICY_VERSION_MISSING'], path: 'policyDocuments[0].Version' },
  { name: 'Version 2008-10-17 warns', input: response({ policyDocuments: [{ Version: '2008-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] }] }), valid: true, expect: ['warning:POLICY_VERSION_UNSUPPORTED'] },
  { name: 'an unknown document key', input: response({ policyDocuments: [{ Version: '2012-10-17', statement: [] }] }), valid: false, expect: ['warning:POLICY_UNKNOWN_KEY', 'error:POLICY_STATEMENT_MISSING'], hint: /"Statement"/ },
  { name: 'Statement that is a string', input: response({ policyDocuments: [{ Version: '2012-10-17', Statement: 'Allow all' }] }), valid: false, expect: ['error:POLICY_STATEMENT_INVALID'] },
  { name: 'an empty Statement list allows nothing', input: response({ policyDocuments: [{ Version: '2012-10-17', Statement: [] }, { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'iot:Connect', Resource: '*' } }] }), valid: true, expect: ['warning:POLICY_STATEMENT_EMPTY'], path: 'policyDocuments[0].Statement' },
  { name: 'Effect missing', input: withStatements({ Action: 'iot:Connect', Resource: '*' }), valid: false, expect: ['error:STATEMENT_EFFECT_MISSING'], path: 'policyDocuments[0].Statement[0].Effect' },
  { name: 'Effect "allow" is case-sensitive', input: withStatements({ Effect: 'allow', Action: 'iot:Connect', Resource: '*' }), valid: false, expect: ['error:STATEMENT_EFFECT_INVALID'], hint: /"Allow"/ },
  { name: 'Action missing', input: withStatements({ Effect: 'Allow', Resource: '*' }), valid: false, expect: ['error:STATEMENT_ACTION_MISSING'] },
  { name: 'Action and NotAction together', input: withStatements({ Effect: 'Allow', Action: 'iot:Connect', NotAction: 'iot:Publish', Resource: '*' }), valid: false, expect: ['error:STATEMENT_ACTION_CONFLICT'] },
  { name: 'Action as an empty list', input: withStatements({ Effect: 'Allow', Action: [], Resource: '*' }), valid: false, expect: ['error:STATEMENT_ACTION_INVALID'] },
  { name: 'Resource missing', input: withStatements({ Effect: 'Allow', Action: 'iot:Connect' }), valid: false, expect: ['error:STATEMENT_RESOURCE_MISSING'] },
  { name: 'Resource as a number', input: withStatements({ Effect: 'Allow', Action: 'iot:Connect', Resource: 5 }), valid: false, expect: ['error:STATEMENT_RESOURCE_INVALID'] },
  { name: '"Actions" is an unknown key with a "did you mean"', input: withStatements({ Effect: 'Allow', Actions: 'iot:Connect', Resource: '*' }), valid: false, expect: ['warning:STATEMENT_UNKNOWN_KEY', 'error:STATEMENT_ACTION_MISSING'], hint: /"Action"/ },
  { name: 'Principal has no meaning here', input: withStatements({ Effect: 'Allow', Principal: '*', Action: 'iot:Connect', Resource: '*' }), valid: true, expect: ['warning:STATEMENT_UNKNOWN_KEY'], path: 'policyDocuments[0].Statement[0].Principal' },
  { name: 'a Condition that is not an object of objects', input: withStatements({ Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition: { StringEquals: 'x' } }), valid: false, expect: ['error:STATEMENT_CONDITION_INVALID'] },
  { name: 's3:GetObject grants nothing on an IoT connection', input: withStatements({ Effect: 'Allow', Action: ['iot:Connect', 's3:GetObject'], Resource: '*' }), valid: true, expect: ['warning:ACTION_NOT_IOT'], path: 'policyDocuments[0].Statement[0].Action[1]' },
  { name: 'a misspelt action gets the closest one', input: withStatements({ Effect: 'Allow', Action: 'iot:Publsh', Resource: '*' }), valid: true, expect: ['warning:ACTION_UNKNOWN'], hint: /iot:Publish/ },
  { name: 'an action without service prefix', input: withStatements({ Effect: 'Allow', Action: 'Publish', Resource: '*' }), valid: true, expect: ['warning:ACTION_UNKNOWN'], hint: /iot:Publish/ },
  { name: 'a wildcard action that matches no IoT action', input: withStatements({ Effect: 'Allow', Action: 'iot:Foo*', Resource: '*' }), valid: true, expect: ['warning:ACTION_UNKNOWN'] },
  { name: 'iot:*, iot:Pub* and mixed-case actions are fine', input: withStatements({ Effect: 'Allow', Action: ['iot:*', 'iot:Pub*', 'IOT:connect'], Resource: '*' }), valid: true, expect: [] },
  { name: 'a resource that is not an ARN gets the full form', input: withStatements({ Effect: 'Allow', Action: 'iot:Publish', Resource: 'topic/a/b' }), valid: true, expect: ['warning:RESOURCE_NOT_ARN'], hint: /arn:aws:iot:<region>:<account>:topic\/a\/b/ },
  { name: 'a resource of another service', input: withStatements({ Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:s3:eu-west-1:123456789012:topic/a' }), valid: true, expect: ['warning:RESOURCE_NOT_IOT'] },
  { name: 'placeholders left in the ARN are named', input: withStatements({ Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:us-east-1:<your_aws_account_id>:topic/customauthtesting' }), valid: true, expect: ['warning:RESOURCE_PLACEHOLDER'], message: /account "<your_aws_account_id>"/ },
  { name: 'an unknown resource type gets a "did you mean"', input: withStatements({ Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}topics/a` }), valid: true, expect: ['warning:RESOURCE_UNKNOWN_TYPE'], hint: /"topic\/"/ },
  { name: 'iot:Subscribe on topic/ says to use topicfilter/ with the same name', input: withStatements({ Effect: 'Allow', Action: 'iot:Subscribe', Resource: `${ARN}topic/a/b` }), valid: true, expect: ['warning:RESOURCE_TYPE_MISMATCH'], path: 'policyDocuments[0].Statement[0].Resource', hint: new RegExp(`${ARN}topicfilter/a/b`) },
  { name: 'iot:Connect on topic/ says to use client/', input: withStatements({ Effect: 'Allow', Action: 'iot:Connect', Resource: `${ARN}topic/device1` }), valid: true, expect: ['warning:RESOURCE_TYPE_MISMATCH'], message: /iot:Connect is checked against client\// },
  { name: 'iot:Receive on topicfilter/ is a mismatch', input: withStatements({ Effect: 'Allow', Action: 'iot:Receive', Resource: `${ARN}topicfilter/a` }), valid: true, expect: ['warning:RESOURCE_TYPE_MISMATCH'] },
  { name: 'a client/ resource no action of the statement uses', input: withStatements({ Effect: 'Allow', Action: 'iot:Publish', Resource: [`${ARN}topic/a`, `${ARN}client/a`] }), valid: true, expect: ['warning:RESOURCE_TYPE_MISMATCH'], message: /client\/ resources/ },
  { name: 'matching action and resource types raise nothing', input: withStatements({ Effect: 'Allow', Action: ['iot:Publish', 'iot:Subscribe', 'iot:Receive'], Resource: [`${ARN}topic/a`, `${ARN}topicfilter/a`] }), valid: true, expect: [] },
  { name: "'#' in a topic/ resource is literal", input: withStatements({ Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}topic/a/#` }), valid: true, expect: ['warning:RESOURCE_MQTT_WILDCARD'], hint: /topic\/a\/\*/ },
  { name: "'#' in a topicfilter/ resource allows that filter exactly", input: withStatements({ Effect: 'Allow', Action: 'iot:Subscribe', Resource: `${ARN}topicfilter/a/#` }), valid: true, expect: ['info:RESOURCE_MQTT_WILDCARD'], message: /exactly/ },
  { name: 'a variable in the wrong case', input: withStatements({ Effect: 'Allow', Action: 'iot:Connect', Resource: `${ARN}client/\${iot:ClientID}` }), valid: true, expect: ['warning:VARIABLE_UNKNOWN'], hint: /\$\{iot:ClientId\}/ },
  { name: 'a thing variable cannot resolve for custom auth', input: withStatements({ Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}topic/\${iot:Connection.Thing.ThingName}` }), valid: true, expect: ['warning:VARIABLE_NOT_FOR_CUSTOM_AUTH'] },
  { name: 'a variable in a document without Version is literal', input: response({ policyDocuments: [{ Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: `${ARN}client/\${iot:ClientId}` }] }] }), valid: true, expect: ['warning:POLICY_VERSION_MISSING', 'warning:VARIABLE_WITHOUT_VERSION'] },
];

suite('authorizer response rules', () => {
  for (const c of RULES) {
    test(c.name, () => {
      const v = validateAuthorizerResponse(c.input);
      const got = codes(v);
      assert.strictEqual(v.valid, c.valid, got.join(', '));
      if (c.expect.length === 0) assert.deepStrictEqual(got, []);
      for (const e of c.expect) assert.ok(got.includes(e), `expected ${e}, got ${got.join(', ')}`);
      if (c.expect.length > 0) {
        const first = find(v, c.expect[0].split(':')[1]);
        if (c.path !== undefined) assert.strictEqual(first.path, c.path);
        if (c.message) assert.match(first.message, c.message);
        if (c.hint) assert.match(first.hint, c.hint);
        assert.ok(first.hint.length > 0, 'every finding says how to fix it');
      }
      assert.strictEqual(v.valid, !v.findings.some((f) => f.severity === 'error'));
    });
  }
});

suite('authorizer response: views and paths', () => {
  test('the domain doc example is valid with no findings and prints like test-invoke', () => {
    const v = validateAuthorizerResponse(domainExample());
    assert.deepStrictEqual(v.findings, []);
    assert.strictEqual(v.valid, true);
    assert.deepStrictEqual(v.testInvokeView, {
      isAuthenticated: true,
      principalId: 'myPrincipalDevice123',
      policyDocuments: ['{"Version":"2012-10-17","Statement":[{"Action":"iot:Publish","Effect":"Allow","Resource":"arn:aws:iot:*:*:topic/customAuthTestTopic"}]}'],
      refreshAfterInSeconds: 300,
      disconnectAfterInSeconds: 86400,
    });
    const view = v.normalized!.policyDocuments[0];
    assert.strictEqual(view.form, 'object');
    assert.strictEqual(view.length, view.text.length);
    assert.strictEqual(view.document?.Version, '2012-10-17');
  });

  test('string documents are measured and printed as given', () => {
    const text = '{ "Version": "2012-10-17", "Statement": { "Effect": "Allow", "Action": "iot:Connect", "Resource": "*" } }';
    const v = validateAuthorizerResponse(response({ policyDocuments: [text] }));
    assert.strictEqual(v.valid, true);
    const view = v.normalized!.policyDocuments[0];
    assert.deepStrictEqual([view.form, view.text, view.length], ['string', text, text.length]);
    assert.deepStrictEqual(v.testInvokeView?.policyDocuments, [text]);
  });

  test('an invalid response has no test-invoke view but keeps the normalized one for evaluation', () => {
    const v = validateAuthorizerResponse(response({ principalId: 'device-1' }));
    assert.strictEqual(v.testInvokeView, undefined);
    assert.strictEqual(v.normalized?.principalId, 'device-1');
    assert.strictEqual(v.normalized?.policyDocuments.length, 1);
  });

  test('a JSON-string response is still checked inside', () => {
    const v = validateAuthorizerResponse(JSON.stringify(response({ refreshAfterInSeconds: 10 })));
    assert.deepStrictEqual(codes(v), ['error:RESPONSE_JSON_STRING', 'error:REFRESH_AFTER_OUT_OF_RANGE']);
    assert.strictEqual(v.normalized?.isAuthenticated, true);
  });

  test('missing seconds are left out of the views', () => {
    const v = validateAuthorizerResponse(response({ refreshAfterInSeconds: undefined }));
    assert.strictEqual(v.valid, true);
    assert.ok(!('refreshAfterInSeconds' in v.testInvokeView!));
    assert.strictEqual(v.testInvokeView?.disconnectAfterInSeconds, 86400);
  });

  test('paths point into the right document, statement and list entry', () => {
    const v = validateAuthorizerResponse(response({
      policyDocuments: [
        { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] },
        { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: '*' }, { Effect: 'Allow', Action: 'iot:Publish', Resource: [`${ARN}topic/ok`, 'topic/bad'] }] },
      ],
    }));
    assert.strictEqual(find(v, 'RESOURCE_NOT_ARN').path, 'policyDocuments[1].Statement[1].Resource[1]');
  });

  test('the AWS developer guide\'s sample output: extra "password" field and malformed ARNs are warnings', () => {
    const v = validateAuthorizerResponse({
      password: 'password',
      isAuthenticated: true,
      principalId: 'principalId',
      policyDocuments: [{
        Version: '2012-10-17',
        Statement: [
          { Action: 'iot:Connect', Effect: 'Allow', Resource: '*' },
          { Action: 'iot:Publish', Effect: 'Allow', Resource: 'arn:aws:region:accountId:topic/telemetry/${iot:ClientId}' },
          { Action: 'iot:Subscribe', Effect: 'Allow', Resource: 'arn:aws:iot:region:accountId:topicfilter/telemetry/${iot:ClientId}' },
        ],
      }],
      disconnectAfterInSeconds: 3600,
      refreshAfterInSeconds: 300,
    });
    assert.strictEqual(v.valid, true);
    assert.deepStrictEqual(codes(v), ['warning:RESOURCE_NOT_ARN', 'warning:RESOURCE_PLACEHOLDER', 'warning:RESPONSE_UNKNOWN_FIELD']);
    assert.match(find(v, 'RESOURCE_PLACEHOLDER').message, /region "region" and account "accountId"/);
  });

  test('every code is stable UPPER_SNAKE_CASE and every error says AWS rejects the response', () => {
    const inputs: unknown[] = [undefined, 'x', response({ principalId: 'a-b', isAuthenticated: 'yes', refreshAfterInSeconds: 1 }), response({ policyDocuments: [{}] })];
    for (const input of inputs) {
      for (const f of validateAuthorizerResponse(input).findings) {
        assert.match(f.code, /^[A-Z]+(_[A-Z]+)*$/);
        if (f.severity === 'error') assert.match(f.message, /AWS rejects|returned/, f.message);
      }
    }
  });

  test(`refresh default suggestion uses the minimum of ${MIN_REFRESH_SECONDS}`, () => {
    assert.match(find(validateAuthorizerResponse(response({ refreshAfterInSeconds: undefined })), 'REFRESH_AFTER_MISSING').hint, new RegExp(`: ${MIN_REFRESH_SECONDS}`));
  });
});

suite('authorizer response: raw payload text', () => {
  test('an empty payload is "returned nothing"', () => {
    assert.deepStrictEqual(codes(validateAuthorizerResponseText('')), ['error:RESPONSE_EMPTY']);
    assert.deepStrictEqual(codes(validateAuthorizerResponseText('null')), ['error:RESPONSE_EMPTY']);
  });

  test('a payload that is not JSON is malformed', () => {
    const v = validateAuthorizerResponseText('{"isAuthenticated": tru');
    assert.deepStrictEqual(codes(v), ['error:RESPONSE_MALFORMED_JSON']);
  });

  test('a payload holding a JSON string (json.dumps returned) is refused', () => {
    assert.deepStrictEqual(codes(validateAuthorizerResponseText(JSON.stringify(JSON.stringify(domainExample())))), ['error:RESPONSE_JSON_STRING']);
  });

  test('a valid payload is valid', () => {
    assert.strictEqual(validateAuthorizerResponseText(JSON.stringify(domainExample())).valid, true);
  });
});

suite('policy document lint on its own', () => {
  test('a good document has no findings', () => {
    assert.deepStrictEqual(lintPolicyDocument({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: `${ARN}client/\${iot:ClientId}` }] }), []);
  });

  test('paths start at the given prefix, or at the document root', () => {
    assert.strictEqual(lintPolicyDocument({ Version: '2012-10-17' })[0].path, 'Statement');
    assert.strictEqual(lintPolicyDocument({ Version: '2012-10-17' }, 'doc')[0].path, 'doc.Statement');
    assert.deepStrictEqual(codes(lintPolicyDocument('nope')), ['error:POLICY_DOCUMENT_NOT_OBJECT']);
  });
});
