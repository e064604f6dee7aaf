// `iot-authz endpoint` as a user meets it: the built CLI as a child process, driven by the
// unchanged AWS CLI v2 and curl. The seed workflow (function from a zip, authorizer with an
// openssl key, test-invoke, add-permission, HTTP publish) and every refusal, each checked for
// what the device gets (AWS's bodies) and what the decision log says (the deciding stage).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { EndpointDecision } from '../../src/endpoint';
import {
  ACCOUNT, aws, countLines, curl, ensureBuilt, NODE_HANDLER, opensslKeyPair, opensslSign, REGION, RunningEndpoint,
  startEndpointProcess, stopEndpointProcess, tempDir, zipOf,
} from './endpointFixtures';

const AUTHORIZER = 'SeedAuthorizer';
const FUNCTION = 'seed-authorizer';
const AUTHORIZER_ARN = `arn:aws:iot:${REGION}:${ACCOUNT}:authorizer/${AUTHORIZER}`;
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${FUNCTION}`;

suite('endpoint: AWS CLI and curl against iot-authz endpoint', function () {
  // The AWS CLI starts a Python interpreter per call: seconds each on a loaded machine.
  this.timeout(300000);
  let dir: string;
  let keys: ReturnType<typeof opensslKeyPair>;
  let ep: RunningEndpoint | undefined;
  let url: string;
  let countFile: string;
  let logFile: string;

  const decisions = (): EndpointDecision[] => fs.readFileSync(logFile, 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l) as EndpointDecision);
  const lastDecision = (): EndpointDecision => {
    const all = decisions();
    return all[all.length - 1];
  };
  const publish = (topic: string, token: string, signature: string, extra: string[] = []) =>
    curl(['-X', 'POST', `${url}/topics/${encodeURIComponent(topic)}?qos=1`, '-H', `x-amz-customauthorizer-name: ${AUTHORIZER}`, '-H', `X-Token: ${token}`, '-H', `x-amz-customauthorizer-signature: ${signature}`, '--data-binary', 'hello', ...extra]);
  const ok = (r: { code: number; stdout: string; stderr: string }): Record<string, unknown> => {
    assert.strictEqual(r.code, 0, r.stderr);
    return r.stdout.trim() ? (JSON.parse(r.stdout) as Record<string, unknown>) : {};
  };
  const awsError = (r: { code: number; stderr: string }, name: string, operation: string) => {
    assert.notStrictEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`An error occurred \\(${name}\\) when calling the ${operation} operation`), r.stderr);
  };

  suiteSetup(async function () {
    ensureBuilt();
    dir = tempDir('cli');
    keys = opensslKeyPair(dir);
    countFile = path.join(dir, 'invocations.txt');
    logFile = path.join(dir, 'decisions.jsonl');
    fs.writeFileSync(path.join(dir, 'function.zip'), zipOf({ 'index.js': NODE_HANDLER }));
    ep = await startEndpointProcess(['--state', path.join(dir, 'state'), '--log', logFile, '--region', REGION]);
    url = ep.url;
  });

  suiteTeardown(async () => {
    await stopEndpointProcess(ep);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('seed workflow: create-function from a zip, wait until active, create-authorizer with an openssl key, test-invoke', () => {
    const created = ok(aws(url, ['lambda', 'create-function', '--function-name', FUNCTION, '--runtime', 'nodejs20.x', '--handler', 'index.handler',
      '--role', `arn:aws:iam::${ACCOUNT}:role/authorizer`, '--zip-file', 'fileb://function.zip', '--environment', `Variables={COUNT_FILE=${countFile}}`], dir));
    assert.strictEqual(created.FunctionArn, FUNCTION_ARN);
    assert.strictEqual(created.State, 'Pending');
    ok(aws(url, ['lambda', 'wait', 'function-active-v2', '--function-name', FUNCTION]));
    const conf = ok(aws(url, ['lambda', 'get-function-configuration', '--function-name', FUNCTION]));
    assert.strictEqual(conf.State, 'Active');
    assert.strictEqual(conf.LastUpdateStatus, 'Successful');

    const auth = ok(aws(url, ['iot', 'create-authorizer', '--authorizer-name', AUTHORIZER, '--authorizer-function-arn', FUNCTION_ARN,
      '--token-key-name', 'X-Token', '--token-signing-public-keys', `key1=${keys.publicPem}`, '--status', 'ACTIVE']));
    assert.strictEqual(auth.authorizerArn, AUTHORIZER_ARN);

    const result = ok(aws(url, ['iot', 'test-invoke-authorizer', '--authorizer-name', AUTHORIZER, '--token', 'allow', '--token-signature', opensslSign('allow', keys.privateKey)]));
    assert.strictEqual(result.isAuthenticated, true);
    assert.strictEqual(result.principalId, 'dev1');
    assert.strictEqual(typeof (result.policyDocuments as unknown[])[0], 'string');
    assert.strictEqual(countLines(countFile), 1);

    awsError(aws(url, ['iot', 'test-invoke-authorizer', '--authorizer-name', AUTHORIZER, '--token', 'allow', '--token-signature', opensslSign('other', keys.privateKey)]), 'InvalidRequestException', 'TestInvokeAuthorizer');
    const mismatch = aws(url, ['iot', 'test-invoke-authorizer', '--authorizer-name', AUTHORIZER, '--token', 'allow', '--token-signature', opensslSign('other', keys.privateKey)]);
    assert.match(mismatch.stderr, new RegExp(`Token signature mismatch for authorizer ${AUTHORIZER}`));
    assert.strictEqual(countLines(countFile), 1, 'a bad signature must not reach the handler');
    awsError(aws(url, ['iot', 'test-invoke-authorizer', '--authorizer-name', AUTHORIZER, '--token', 'allow']), 'InvalidRequestException', 'TestInvokeAuthorizer');
    awsError(aws(url, ['iot', 'test-invoke-authorizer', '--authorizer-name', 'Nope', '--token', 'a', '--token-signature', 'AAAA']), 'ResourceNotFoundException', 'TestInvokeAuthorizer');
    const invalid = aws(url, ['iot', 'test-invoke-authorizer', '--authorizer-name', AUTHORIZER, '--token', 'invalid', '--token-signature', opensslSign('invalid', keys.privateKey)]);
    awsError(invalid, 'InvalidResponseException', 'TestInvokeAuthorizer');
    assert.match(invalid.stderr, /not-valid! at principalId failed to satisfy constraint: Member must satisfy \(\[a-zA-Z0-9\]\)\{1,128\}/);
  });

  test('curl publish is refused before add-permission, allowed after it (headers and query parameters)', () => {
    const sig = opensslSign('allow', keys.privateKey);
    const before = countLines(countFile);
    const refused = publish('devices/dev1/temp', 'allow', sig);
    assert.strictEqual(refused.status, 403);
    assert.strictEqual((JSON.parse(refused.body) as { message: string }).message, 'Forbidden');
    assert.strictEqual(lastDecision().decidedBy, 'permission');
    assert.match(lastDecision().fix ?? '', /aws lambda add-permission/);
    assert.strictEqual(countLines(countFile), before, 'no permission: the handler must not run');

    const added = ok(aws(url, ['lambda', 'add-permission', '--function-name', FUNCTION, '--principal', 'iot.amazonaws.com', '--source-arn', AUTHORIZER_ARN, '--statement-id', 'iot-invoke', '--action', 'lambda:InvokeFunction']));
    assert.match(String(added.Statement), /iot.amazonaws.com/);
    awsError(aws(url, ['lambda', 'add-permission', '--function-name', FUNCTION, '--principal', 'iot.amazonaws.com', '--source-arn', AUTHORIZER_ARN, '--statement-id', 'iot-invoke', '--action', 'lambda:InvokeFunction']), 'ResourceConflictException', 'AddPermission');
    awsError(aws(url, ['lambda', 'add-permission', '--function-name', FUNCTION, '--principal', 'iot.amazonaws.com', '--statement-id', 'bad id!', '--action', 'lambda:InvokeFunction']), 'ValidationException', 'AddPermission');

    const allowed = publish('devices/dev1/temp', 'allow', sig);
    assert.strictEqual(allowed.status, 200, allowed.body);
    const body = JSON.parse(allowed.body) as { message: string; traceId: string };
    assert.strictEqual(body.message, 'OK');
    assert.match(body.traceId, /^[0-9a-f-]{36}$/);
    assert.strictEqual(lastDecision().allowed, true);
    assert.strictEqual(lastDecision().traceId, body.traceId);

    const query = curl(['-X', 'POST', `${url}/topics/devices%2Fdev1%2Fq?qos=0&x-amz-customauthorizer-name=${AUTHORIZER}&X-Token=allow&x-amz-customauthorizer-signature=${encodeURIComponent(sig)}`, '--data-binary', 'from-query']);
    assert.strictEqual(query.status, 200, query.body);
    assert.strictEqual(lastDecision().request.credentialsIn, 'query');

    const messages = JSON.parse(curl([`${url}/_iot-authz/messages?topic=devices/dev1/q`]).body) as { messages: Array<{ payloadBase64: string; principalId: string }> };
    assert.strictEqual(Buffer.from(messages.messages[0].payloadBase64, 'base64').toString(), 'from-query');
    assert.strictEqual(messages.messages[0].principalId, 'dev1');
  });

  test('a bad signature is refused before the handler runs (invocations counted)', () => {
    const before = countLines(countFile);
    const r = publish('devices/dev1/temp', 'allow', opensslSign('allow-other', keys.privateKey));
    assert.strictEqual(r.status, 403);
    assert.strictEqual(lastDecision().decidedBy, 'signature');
    // Not URL-encoded in a query: '+' turns into a space, the classic mistake.
    const sig = opensslSign('allow', keys.privateKey);
    const raw = curl(['-X', 'POST', `${url}/topics/devices%2Fdev1%2Fx?x-amz-customauthorizer-name=${AUTHORIZER}&X-Token=allow&x-amz-customauthorizer-signature=${sig.replace(/\//g, '%2F').replace(/=/g, '%3D')}`]);
    assert.strictEqual(raw.status, sig.includes('+') ? 403 : 200);
    assert.strictEqual(countLines(countFile), before + (sig.includes('+') ? 0 : 1));
  });

  test('refusals: topic not allowed, handler denies, invalid answer, handler throws, INACTIVE authorizer', () => {
    const topic = publish('other/topic', 'allow', opensslSign('allow', keys.privateKey));
    assert.strictEqual(topic.status, 403);
    assert.strictEqual(lastDecision().decidedBy, 'policy');
    assert.match(lastDecision().reason, /iot:Publish on arn:aws:iot:eu-west-1:123456789012:topic\/other\/topic is denied/);

    assert.strictEqual(publish('devices/dev1/t', 'deny', opensslSign('deny', keys.privateKey)).status, 403);
    assert.strictEqual(lastDecision().decidedBy, 'answer');

    assert.strictEqual(publish('devices/dev1/t', 'invalid', opensslSign('invalid', keys.privateKey)).status, 403);
    assert.strictEqual(lastDecision().decidedBy, 'answer');
    assert.strictEqual(lastDecision().validation?.valid, false);

    assert.strictEqual(publish('devices/dev1/t', 'throw', opensslSign('throw', keys.privateKey)).status, 403);
    assert.strictEqual(lastDecision().decidedBy, 'handler');

    ok(aws(url, ['iot', 'update-authorizer', '--authorizer-name', AUTHORIZER, '--status', 'INACTIVE']));
    const before = countLines(countFile);
    assert.strictEqual(publish('devices/dev1/t', 'allow', opensslSign('allow', keys.privateKey)).status, 403);
    assert.strictEqual(lastDecision().decidedBy, 'authorizer');
    assert.strictEqual(countLines(countFile), before);
    // test-invoke still works on an INACTIVE authorizer
    assert.strictEqual(ok(aws(url, ['iot', 'test-invoke-authorizer', '--authorizer-name', AUTHORIZER, '--token', 'allow', '--token-signature', opensslSign('allow', keys.privateKey)])).isAuthenticated, true);
    ok(aws(url, ['iot', 'update-authorizer', '--authorizer-name', AUTHORIZER, '--status', 'ACTIVE']));
  });

  test('a handler that does not answer in time is refused (function timeout below the 5 s limit)', () => {
    ok(aws(url, ['lambda', 'update-function-configuration', '--function-name', FUNCTION, '--timeout', '1', '--environment', `Variables={COUNT_FILE=${countFile}}`]));
    ok(aws(url, ['lambda', 'wait', 'function-updated-v2', '--function-name', FUNCTION]));
    const r = publish('devices/dev1/t', 'slow', opensslSign('slow', keys.privateKey));
    assert.strictEqual(r.status, 403);
    const d = lastDecision();
    assert.strictEqual(d.decidedBy, 'handler');
    assert.strictEqual(d.handlerError?.code, 'TIMEOUT');
    // The endpoint serves the next request with a fresh worker.
    assert.strictEqual(publish('devices/dev1/t', 'allow', opensslSign('allow', keys.privateKey)).status, 200);
  });

  test('default authorizer: a publish without a name uses it', () => {
    const noName = curl(['-X', 'POST', `${url}/topics/devices%2Fdev1%2Fd`, '-H', 'X-Token: allow', '-H', `x-amz-customauthorizer-signature: ${opensslSign('allow', keys.privateKey)}`]);
    assert.strictEqual(noName.status, 403);
    assert.strictEqual(lastDecision().decidedBy, 'authorizer');
    ok(aws(url, ['iot', 'set-default-authorizer', '--authorizer-name', AUTHORIZER]));
    assert.strictEqual((ok(aws(url, ['iot', 'describe-default-authorizer'])).authorizerDescription as { authorizerName: string }).authorizerName, AUTHORIZER);
    const withDefault = curl(['-X', 'POST', `${url}/topics/devices%2Fdev1%2Fd`, '-H', 'X-Token: allow', '-H', `x-amz-customauthorizer-signature: ${opensslSign('allow', keys.privateKey)}`]);
    assert.strictEqual(withDefault.status, 200, withDefault.body);
  });

  test('delete and conflict rules answer with AWS error names', () => {
    awsError(aws(url, ['iot', 'delete-authorizer', '--authorizer-name', AUTHORIZER]), 'DeleteConflictException', 'DeleteAuthorizer');
    awsError(aws(url, ['iot', 'create-authorizer', '--authorizer-name', AUTHORIZER, '--authorizer-function-arn', FUNCTION_ARN, '--signing-disabled']), 'ResourceAlreadyExistsException', 'CreateAuthorizer');
    awsError(aws(url, ['iot', 'create-authorizer', '--authorizer-name', 'bad name', '--authorizer-function-arn', FUNCTION_ARN, '--signing-disabled']), 'InvalidRequestException', 'CreateAuthorizer');
    awsError(aws(url, ['iot', 'describe-authorizer', '--authorizer-name', 'Missing']), 'ResourceNotFoundException', 'DescribeAuthorizer');
    awsError(aws(url, ['lambda', 'get-function', '--function-name', 'missing']), 'ResourceNotFoundException', 'GetFunction');
    ok(aws(url, ['lambda', 'remove-permission', '--function-name', FUNCTION, '--statement-id', 'iot-invoke']));
    awsError(aws(url, ['lambda', 'remove-permission', '--function-name', FUNCTION, '--statement-id', 'iot-invoke']), 'ResourceNotFoundException', 'RemovePermission');
    ok(aws(url, ['iot', 'update-authorizer', '--authorizer-name', AUTHORIZER, '--status', 'INACTIVE']));
    ok(aws(url, ['iot', 'delete-authorizer', '--authorizer-name', AUTHORIZER]));
    awsError(aws(url, ['iot', 'describe-default-authorizer']), 'ResourceNotFoundException', 'DescribeDefaultAuthorizer');
    assert.deepStrictEqual(ok(aws(url, ['iot', 'list-authorizers'])).authorizers, []);
  });

  test('SIGTERM stops it cleanly: exit code 0, "stopped" printed, the decision log complete', async () => {
    const running = ep;
    ep = undefined;
    const code = await stopEndpointProcess(running);
    assert.strictEqual(code, 0);
    assert.ok(running?.lines.some((l) => (JSON.parse(l) as { event: string }).event === 'stopped'));
    for (const d of decisions()) assert.ok(d.decidedBy && d.stages.length > 0);
  });
});
