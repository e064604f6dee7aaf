// Realistic InvocationResults for the panel, snippet and test-event tests: the request is built
// and signed with the TEST-ONLY keys by core/events.ts, the example workspace's real handler
// answers (in this process), and core/runResult.ts judges and assembles the result, as every run does.
import * as path from 'path';
import { buildAuthorizerEvent, TokenSigner } from '../../src/core/events';
import { importPublicKey } from '../../src/core/keys';
import type { AuthorizerConfig } from '../../src/core/project';
import type { InvocationResult } from '../../src/core/result';
import { assembleRunResult } from '../../src/core/runResult';
import type { DeviceRequest } from '../../src/core/testEvent';
import { signToken } from '../../src/core/tokens';
import { fixture, REPO_ROOT } from './keyFixtures';

export const EXAMPLE_WORKSPACE = path.join(REPO_ROOT, 'examples/workspace');
export const FIXTURE_REGION = 'eu-west-1';
export const FIXTURE_ACCOUNT = '123456789012';

const PRIVATE = { example: fixture('rsa2048_private_key.pem'), other: fixture('other_rsa2048_private_key.pem') };
export const fixtureSigner: TokenSigner = (keyName, token) => {
  const pem = PRIVATE[keyName as keyof typeof PRIVATE];
  if (!pem) throw new Error(`no TEST_ONLY key "${keyName}"`);
  return signToken(token, pem);
};

export function exampleAuthorizer(workspace = EXAMPLE_WORKSPACE): AuthorizerConfig {
  return {
    name: 'ExampleTokenAuthorizer',
    handler: 'authorizer.js:handler',
    handlerFile: path.join(workspace, 'authorizer.js'),
    handlerFunction: 'handler',
    language: 'javascript',
    runtime: 'nodejs20.x',
    tokenKeyName: 'X-Example-Token',
    signingDisabled: false,
    signingKeys: ['example'],
    enableCachingForHttp: false,
    status: 'ACTIVE',
    aws: {},
  };
}

/** The example workspace's handler, called in this process (it is a plain async function). */
async function exampleHandler(event: unknown): Promise<unknown> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(path.join(EXAMPLE_WORKSPACE, 'authorizer.js')) as { handler: (e: unknown) => Promise<unknown> };
  return mod.handler(event);
}

export interface FixtureRunOptions {
  readonly request: DeviceRequest;
  /** Replaces the example handler's answer. */
  readonly response?: unknown;
  readonly logs?: string;
  readonly logsTruncated?: boolean;
  readonly workspace?: string;
  /** Relative to the workspace, e.g. `events/mqtt-connect.authz.json`. */
  readonly eventFile?: string;
  readonly startedAt?: string;
  readonly totalMs?: number;
  readonly id?: string;
}

let counter = 0;

/** A run of the example authorizer, judged and assembled by the product's own core/runResult.ts. */
export async function fixtureRun(o: FixtureRunOptions): Promise<InvocationResult> {
  const workspace = o.workspace ?? EXAMPLE_WORKSPACE;
  const config = exampleAuthorizer(workspace);
  const publicKeys = [{ name: 'example', pem: importPublicKey(fixture('rsa2048_public_key.pem')).keyObject }];
  const build = await buildAuthorizerEvent({ request: o.request, authorizer: config, publicKeys, sign: fixtureSigner });
  const invoked = build.gate.invoke;
  const response = !invoked ? undefined : o.response !== undefined ? o.response : await exampleHandler(build.event);
  const clientId = build.request.mqtt?.clientId;
  return assembleRunResult({
    id: o.id ?? `fixture-${Date.now()}-${++counter}`,
    startedAt: o.startedAt ?? new Date().toISOString(),
    target: { kind: 'local' },
    request: o.request,
    authorizer: config,
    build,
    ...(invoked ? { handler: response === undefined || response === null ? { kind: 'no-response' } : { kind: 'response', response } } : {}),
    policyContext: { region: FIXTURE_REGION, accountId: FIXTURE_ACCOUNT },
    problems: build.gate.problems,
    ...(invoked
      ? { logs: { text: o.logs ?? `START RequestId: 0f1e2d3c Version: $LATEST\nINFO token checked for ${clientId ?? 'https'}\nEND RequestId: 0f1e2d3c\n`, truncated: o.logsTruncated ?? false } }
      : {}),
    timings: invoked ? { totalMs: o.totalMs ?? 42, invokeMs: 3, initMs: 31, cold: true } : { totalMs: o.totalMs ?? 3 },
    source: {
      ...(o.eventFile ? { eventFile: path.join(workspace, o.eventFile) } : {}),
      projectFile: path.join(workspace, 'iot-authorizer.json'),
    },
  });
}

/** The example workspace's event files, as DeviceRequests. */
export const EXAMPLE_REQUESTS = {
  mqttConnect: {
    description: 'MQTT over TLS from sensor1',
    authorizer: 'ExampleTokenAuthorizer',
    protocol: 'mqtt',
    headers: {},
    mqtt: { clientId: 'sensor1', username: 'sensor1' },
    credentials: { token: 'allow-sensor1', signature: { sign: 'example' }, in: 'mqtt-username', authorizerName: 'ExampleTokenAuthorizer' },
  },
  mqttWrongClient: {
    authorizer: 'ExampleTokenAuthorizer',
    protocol: 'mqtt',
    headers: {},
    mqtt: { clientId: 'sensor2' },
    credentials: { token: 'allow-sensor1', signature: { sign: 'example' }, in: 'mqtt-username', authorizerName: 'ExampleTokenAuthorizer' },
  },
  httpPublish: {
    authorizer: 'ExampleTokenAuthorizer',
    protocol: 'http',
    queryString: '?qos=1',
    headers: { 'content-type': 'application/json' },
    credentials: { token: 'allow-sensor1', signature: { sign: 'example' }, in: 'headers', authorizerName: 'ExampleTokenAuthorizer' },
  },
  httpUnsigned: {
    protocol: 'http',
    headers: { 'x-amz-customauthorizer-name': 'ExampleTokenAuthorizer', 'X-Example-Token': 'allow-sensor1' },
  },
  wssBrowser: {
    authorizer: 'ExampleTokenAuthorizer',
    protocol: 'mqtt-wss',
    headers: {},
    mqtt: { clientId: 'sensor1' },
    credentials: { token: 'allow-sensor1', signature: { sign: 'example' }, in: 'query', authorizerName: 'ExampleTokenAuthorizer' },
  },
} satisfies Record<string, DeviceRequest>;
