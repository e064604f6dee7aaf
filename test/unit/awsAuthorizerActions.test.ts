// The actions on an authorizer in the account, as far as they are pure or one SDK call: the
// console address, key rotation (add next to the old key, at most two, never remove the last),
// and IotAuthorizers.setPublicKeys sending only the keys.
import * as assert from 'assert';
import * as crypto from 'crypto';
import { IoTClient, UpdateAuthorizerCommand } from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import { IotAuthorizers } from '../../src/aws/iot';
import { authorizerConsoleUrl, keysWithAdded, keysWithRemoved } from '../../src/core/awsAuthorizerActions';
import { thrown } from './keyFixtures';

function pem(): string {
  return crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

suite('AWS authorizer actions', () => {
  const [a, b, c] = [pem(), pem(), pem()];

  test('the console address names the authorizer in its own region and partition', () => {
    assert.strictEqual(
      authorizerConsoleUrl('arn:aws:iot:eu-west-1:123456789012:authorizer/My Auth'),
      'https://eu-west-1.console.aws.amazon.com/iot/home?region=eu-west-1#/authorizer/My%20Auth',
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
