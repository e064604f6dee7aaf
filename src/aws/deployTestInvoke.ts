// The test-invoke after a deploy: the request the user wrote, not one made up. The first test
// event (`*.authz.json`) of the authorizer that the local run allows is sent as contexts, the
// way the editor's "Test-invoke in AWS" sends an event file; without a usable event, a made-up
// token signed with the workspace key, and the result says so (a handler that checks tokens
// denies it, which is not a failed deploy).
import * as path from 'path';
import { UserError } from '../core/errors';
import { authorizerForRequest, EventProblem, ResolvedDeviceRequest, resolveDeviceRequest, TokenSigner, workspacePublicKeys, workspaceSigner } from '../core/events';
import type { AuthorizerConfig, AuthorizerProject } from '../core/project';
import type { InvocationResult } from '../core/result';
import { DeviceRequest, findTestEventFiles, loadTestEvent } from '../core/testEvent';
import type { AwsTarget } from './account';
import type { IotAuthorizers } from './iot';
import { testInvokeInAws } from './testInvoke';

/** Runs a request locally (handler and response rules) with the target's region and account for the policies. */
export type RunLocally = (request: DeviceRequest, policyContext: { region: string; accountId: string }) => Promise<InvocationResult | undefined>;

/** At most this many events are run locally to find one the handler allows, so a deploy stays quick. */
const MAX_LOCAL_RUNS = 8;

export interface DeployTestEvent {
  readonly file: string;
  /** The event's request, its authorizer set to the deployed one. */
  readonly request: DeviceRequest;
  readonly resolved: ResolvedDeviceRequest;
  /** The local run's outcome, when it was run. */
  readonly localOutcome?: InvocationResult['outcome'];
}

export interface DeployTestInvokeInput {
  readonly iot: IotAuthorizers;
  readonly target: AwsTarget;
  readonly project: AuthorizerProject;
  readonly config: AuthorizerConfig;
  /** The folder holding .iot-authz/keys. */
  readonly root: string;
  readonly sign?: TokenSigner;
  readonly runLocally?: RunLocally;
  readonly log?: (line: string) => void;
}

export interface DeployTestInvoke {
  readonly result: InvocationResult;
  /** The event file sent; absent when the made-up token was. */
  readonly eventFile?: string;
}

/**
 * The authorizer's test events in file order (the ones AWS would route to it), with their
 * signatures computed; the first one the local run allows, else the first usable one.
 */
export async function chooseDeployTestEvent(input: Omit<DeployTestInvokeInput, 'iot'>): Promise<DeployTestEvent | undefined> {
  const { project, config } = input;
  const log = input.log ?? (() => undefined);
  const sign = input.sign ?? workspaceSigner(input.root);
  let first: DeployTestEvent | undefined;
  let localRuns = 0;
  for (const file of findTestEventFiles(project.dir)) {
    const parsed = loadTestEvent(file);
    if (!parsed.request || parsed.issues.some((i) => i.severity === 'error')) continue;
    if (authorizerForRequest(project, parsed.request).authorizer?.name !== config.name) continue;
    const request: DeviceRequest = { ...parsed.request, authorizer: config.name };
    const problems: EventProblem[] = [];
    const resolved = await resolveDeviceRequest(request, config, sign, problems);
    const bad = problems.find((p) => p.severity === 'error');
    if (bad) {
      log(`  test event ${path.basename(file)} not usable: ${bad.field ? `${bad.field}: ` : ''}${bad.message}`);
      continue;
    }
    if (!input.runLocally || localRuns >= MAX_LOCAL_RUNS) {
      // Nothing (more) to run locally: the first usable event is the answer.
      first ??= { file, request, resolved };
      break;
    }
    localRuns++;
    let localOutcome: InvocationResult['outcome'] | undefined;
    try {
      localOutcome = (await input.runLocally(request, { region: input.target.region, accountId: input.target.accountId }))?.outcome;
    } catch (e) {
      log(`  test event ${path.basename(file)}: the local run failed (${e instanceof Error ? e.message : String(e)})`);
    }
    const candidate: DeployTestEvent = { file, request, resolved, ...(localOutcome ? { localOutcome } : {}) };
    if (localOutcome === 'allowed') return candidate;
    first ??= candidate;
  }
  return first;
}

/** Test-invokes the deployed authorizer with its test event, else a made-up signed token; undefined when neither can be sent. */
export async function testInvokeAfterDeploy(input: DeployTestInvokeInput): Promise<DeployTestInvoke | undefined> {
  const { iot, target, config, root } = input;
  const publicKeys = (await workspacePublicKeys(root, config)).keys;
  const dataEndpoint = (await iot.describeDataEndpoint().catch(() => '')) || undefined;
  const runLocally = input.runLocally
    ? (request: DeviceRequest) => (input.runLocally as RunLocally)(request, { region: target.region, accountId: target.accountId })
    : undefined;
  const common = {
    iot,
    target,
    authorizerName: config.name,
    publicKeys,
    ...(runLocally ? { runLocally } : {}),
    ...(dataEndpoint ? { dataEndpoint } : {}),
    ...(config.tokenKeyName ? { tokenKeyName: config.tokenKeyName } : {}),
    ...(config.signingDisabled ? { signingDisabled: true } : {}),
  };
  const event = await chooseDeployTestEvent(input);
  if (event) {
    const result = await testInvokeInAws({
      ...common,
      input: { kind: 'context', request: event.resolved },
      source: { eventFile: event.file, projectFile: input.project.file },
    });
    return { result, eventFile: event.file };
  }
  if (config.signingDisabled) return undefined;
  const sign = input.sign ?? workspaceSigner(root);
  for (const keyName of config.signingKeys) {
    const token = `iot-authz-deploy-check-${Date.now()}`;
    let signature: string;
    try {
      signature = await sign(keyName, token);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      input.log?.(`  key "${keyName}" cannot sign the made-up token: ${e.message}`);
      continue;
    }
    const result = await testInvokeInAws({ ...common, input: { kind: 'token', token, signature }, source: { projectFile: input.project.file } });
    return { result: madeUpTokenResult(result, config.name) };
  }
  return undefined;
}

/** The made-up token's result, saying that no test event was sent and what a denial means then. */
function madeUpTokenResult(result: InvocationResult, authorizerName: string): InvocationResult {
  const note =
    result.outcome === 'denied'
      ? 'no test event: test-invoked with a made-up token; your handler denied it — expected if it checks tokens'
      : 'no test event: test-invoked with a made-up token';
  return {
    ...result,
    headline: `${result.headline} (${note})`,
    problems: [
      ...result.problems,
      {
        severity: 'info',
        message: `The project has no usable test event for ${authorizerName}, so the deploy test-invoked it with a made-up token. Add an event file (*.authz.json, "New Test Event…") with a token your handler allows: the next deploy sends it.`,
      },
    ],
  };
}
