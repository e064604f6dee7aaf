// The actions on an authorizer in the account, as far as they are pure or one SDK call: the
// console address, key rotation (add next to the old key, at most two, never remove the last),
// and IotAuthorizers.setPublicKeys sending only the keys.
import * as assert from 'assert';
import * as crypto from 'crypto';
import { IoTClient, UpdateAuthorizerCommand } from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import { IotAuthorizers } from '../../src/aws/iot';
import { authorizerConsoleUrl, keysWithAdded, keysWithRemoved } from '../../src/core/awsAuthorizerActions';
import { pullAuthorizerIntoProject } from '../../src/core/pullAuthorizer';
import { thrown } from './keyFixtures';

function pem(): string {
  return crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

suite('AWS authorizer actions', () => {
  const [a, b, c] = [pem(), pem(), pem()];

  test('the console address is the custom-authorizer page in the authorizer\'s own region and partition', () => {
    assert.strictEqual(
      authorizerConsoleUrl('arn:aws:iot:eu-west-1:123456789012:authorizer/My Auth'),
      'https://eu-west-1.console.aws.amazon.com/iot/home?region=eu-west-1#/authorizerhub',
    );
    assert.match(authorizerConsoleUrl('arn:aws-cn:iot:cn-north-1:123456789012:authorizer/x'), /^https:\/\/cn-north-1\.console\.amazonaws\.cn\//);
    const bad = thrown(() => authorizerConsoleUrl('arn:aws:lambda:eu-west-1:123456789012:function:f'));
    assert.strictEqual(bad.code, 'AWS_ARN_INVALID');
    assert.match(bad.message, /not an authorizer ARN \(arn:aws:iot:REGION:ACCOUNT:authorizer\/NAME\)/);
  });

  test('rotation adds the new key next to the old one, under its workspace name (suffixed when taken)', () => {
    assert.deepStrictEqual(keysWithAdded({ old: a }, { name: 'next', pem: b }), { old: a, next: b });
    assert.deepStrictEqual(keysWithAdded({ next: a }, { name: 'next', pem: b }), { next: a, 'next-2': b });
  });

  test('rotation refuses a key the authorizer has and a third key; replacing one of two works', () => {
    assert.strictEqual(thrown(() => keysWithAdded({ old: a }, { name: 'same', pem: a })).code, 'KEY_ALREADY_PRESENT');
    const third = thrown(() => keysWithAdded({ k1: a, k2: b }, { name: 'k3', pem: c }));
    assert.strictEqual(third.code, 'TOO_MANY_KEYS');
    assert.match(third.message, /already has 2 keys \(k1, k2\), the most AWS allows/);
    assert.deepStrictEqual(keysWithAdded({ k1: a, k2: b }, { name: 'k3', pem: c }, 'k1'), { k2: b, k3: c });
    assert.strictEqual(thrown(() => keysWithAdded({ k1: a, k2: b }, { name: 'k3', pem: c }, 'nope')).code, 'KEY_NOT_FOUND');
  });

  test('removing the old key keeps the new one; the last key is never removed', () => {
    assert.deepStrictEqual(keysWithRemoved({ old: a, next: b }, 'old'), { next: b });
    const last = thrown(() => keysWithRemoved({ next: b }, 'next'));
    assert.strictEqual(last.code, 'LAST_KEY');
    assert.match(last.message, /only key.*Add the new key first/);
    assert.strictEqual(thrown(() => keysWithRemoved({ next: b }, 'other')).code, 'KEY_NOT_FOUND');
  });

  test('setPublicKeys sends UpdateAuthorizer with the keys only (status, function and token key stay as they are)', async () => {
    const iot = mockClient(IoTClient);
    try {
      iot.on(UpdateAuthorizerCommand).resolves({ authorizerName: 'A' });
      await new IotAuthorizers(new IoTClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } })).setPublicKeys('A', { k2: b, k3: c });
      const calls = iot.commandCalls(UpdateAuthorizerCommand);
      assert.strictEqual(calls.length, 1);
      assert.deepStrictEqual(calls[0].args[0].input, { authorizerName: 'A', tokenSigningPublicKeys: { k2: b, k3: c } });
    } finally {
      iot.restore();
    }
  });
});

suite('Pull into iot-authorizer.json', () => {
  const PROJECT = `${JSON.stringify(
    { authorizers: [{ name: 'A', handler: 'authorizer.js:handler', runtime: 'nodejs22.x', tokenKeyName: 'X-Token', signingKeys: ['example'], description: 'mine' }] },
    null,
    2,
  )}\n`;
  const inAws = {
    name: 'A',
    functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:iot-authz-A',
    tokenKeyName: 'X-Token',
    status: 'ACTIVE',
    signingDisabled: false,
    enableCachingForHttp: false,
    keys: [{ awsName: 'example', workspaceKey: 'example' }],
    region: 'eu-west-1',
  };

  test('an authorizer that matches the entry changes only what the file did not say; fields AWS does not know stay', () => {
    const r = pullAuthorizerIntoProject(PROJECT, inAws);
    assert.strictEqual(r.created, false);
    assert.deepStrictEqual(r.changed, [
      'signingDisabled: (unset) → false',
      'enableCachingForHttp: (unset) → false',
      'status: (unset) → "ACTIVE"',
      'aws.region: (unset) → "eu-west-1"',
    ]);
    const entry = (JSON.parse(r.text) as { authorizers: Array<Record<string, unknown>> }).authorizers[0];
    assert.strictEqual(entry.description, 'mine');
    assert.deepStrictEqual(entry.aws, { region: 'eu-west-1' }, 'the default function name is not written');
    assert.deepStrictEqual(pullAuthorizerIntoProject(r.text, inAws).changed, [], 'pulling again changes nothing');
  });

  test('changed settings, a renamed function and rotated keys are pulled; a key with no local copy is a note, not a name', () => {
    const r = pullAuthorizerIntoProject(PROJECT, {
      ...inAws,
      functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:other-fn',
      tokenKeyName: 'X-New',
      keys: [
        { awsName: 'next', workspaceKey: 'next' },
        { awsName: 'theirs' },
      ],
    });
    const entry = (JSON.parse(r.text) as { authorizers: Array<Record<string, unknown>> }).authorizers[0];
    assert.strictEqual(entry.tokenKeyName, 'X-New');
    assert.deepStrictEqual(entry.signingKeys, ['next']);
    assert.deepStrictEqual(entry.aws, { functionName: 'other-fn', region: 'eu-west-1' });
    assert.ok(r.changed.includes('signingKeys: ["example"] → ["next"]'), r.changed.join('\n'));
    assert.strictEqual(r.notes.length, 1);
    assert.match(r.notes[0], /AWS key "theirs" matches no workspace key/);
  });

  test('an authorizer not in the file needs a handler; with one it is a new entry; a broken file is refused', () => {
    const other = { ...inAws, name: 'B' };
    assert.strictEqual(thrown(() => pullAuthorizerIntoProject(PROJECT, other)).code, 'HANDLER_REQUIRED');
    const r = pullAuthorizerIntoProject(PROJECT, other, { handler: 'b.py:lambda_handler', runtime: 'python3.13' });
    assert.strictEqual(r.created, true);
    const list = (JSON.parse(r.text) as { authorizers: Array<Record<string, unknown>> }).authorizers;
    assert.deepStrictEqual(list.map((a) => a.name), ['A', 'B']);
    assert.strictEqual(list[1].handler, 'b.py:lambda_handler');
    assert.strictEqual(list[1].tokenKeyName, 'X-Token');
    assert.deepStrictEqual(list[1].aws, { functionName: 'iot-authz-A', region: 'eu-west-1' });
    const fresh = pullAuthorizerIntoProject(undefined, inAws, { handler: 'authorizer.js:handler', runtime: 'nodejs22.x' });
    assert.strictEqual((JSON.parse(fresh.text) as { authorizers: unknown[] }).authorizers.length, 1);
    const broken = thrown(() => pullAuthorizerIntoProject('{ "authorizers": [', inAws));
    assert.strictEqual(broken.code, 'PROJECT_INVALID');
    assert.match(broken.message, /not valid JSON.*fix it before pulling/);
  });
});
