// Deploys one authorizer of iot-authorizer.json: package the handler, read what AWS has, plan
// (core/deployPlan.ts), ask, then create or update the function (waiting until Active and the
// update Successful), the invoke permission, the authorizer and the default, and test-invoke it
// with the authorizer's test event (deployTestInvoke.ts). A failure names the step, AWS's reason
// and what was left as it was; a plan with nothing to change changes nothing.
import * as path from 'path';
import { defaultFunctionName, defaultRoleName, DeployPlan, DesiredState, planDeploy, planIsNoop, PlanStep, StepKind, stepLabel } from '../core/deployPlan';
import type { TokenSigner } from '../core/events';
import { readPublicKey } from '../core/keyStore';
import type { AuthorizerConfig, AuthorizerProject } from '../core/project';
import type { InvocationResult } from '../core/result';
import { AwsTarget, resolveTarget } from './account';
import type { AwsClientFactory } from './clients';
import { IotAuthorizers } from './iot';
import { FunctionState, LambdaFunctions, WaitOptions } from './lambda';
import { HandlerPackage, packageHandler } from './packageHandler';
import { RunLocally, testInvokeAfterDeploy } from './deployTestInvoke';
import { plural } from '../core/text';

export type DeployPhase = 'package' | 'read' | StepKind | 'test-invoke';

export interface DeployInput {
  readonly project: AuthorizerProject;
  readonly authorizer: AuthorizerConfig;
  readonly factory: AwsClientFactory;
  /** The folder holding .iot-authz/keys; default the project's folder. */
  readonly workspaceRoot?: string;
  /** Also make it the account's default authorizer. */
  readonly setDefault?: boolean;
  /** Asked with the plan before anything changes; false leaves AWS as it is. */
  readonly confirm: (plan: DeployPlan) => Promise<boolean>;
  /** One line per step outcome (the output channel, the terminal). */
  readonly log?: (line: string) => void;
  readonly signal?: AbortSignal;
  /**
   * With no aws.roleArn and no function yet: use the role named defaultRoleName(authorizer) if the
   * account has it, else create it (Lambda trust, AWSLambdaBasicExecutionRole) before the function.
   */
  readonly createRole?: boolean;
  /** Test-invoke after a deploy that changed something (default true), with the first test event the local run allows (deployTestInvoke.ts). */
  readonly testInvoke?: boolean;
  /** Runs a test event locally, to prefer one the handler allows and to explain InvalidResponseException. */
  readonly runLocally?: RunLocally;
  /** Computes an event's {"sign": key}; default the workspace's private keys. */
  readonly sign?: TokenSigner;
  readonly wait?: WaitOptions;
  readonly now?: Date;
  readonly packaged?: HandlerPackage;
}

export interface StepReport {
  readonly phase: DeployPhase;
  readonly status: 'done' | 'unchanged' | 'failed' | 'not-run';
  readonly message: string;
}

export type DeployOutcome = 'done' | 'nothing-to-do' | 'declined' | 'cancelled' | 'blocked' | 'failed';

export interface DeployReport {
  readonly outcome: DeployOutcome;
  readonly authorizer: string;
  readonly target?: AwsTarget;
  readonly plan?: DeployPlan;
  readonly steps: readonly StepReport[];
  readonly failure?: { readonly phase: DeployPhase; readonly message: string; readonly leftAsItWas: readonly string[] };
  readonly testInvoke?: InvocationResult;
  /** One paragraph for a notification or the end of the CLI output. */
  readonly summary: string;
}

/** The Lambda function name of an authorizer: aws.functionName, else derived from its name. */
export function functionNameFor(config: AuthorizerConfig): string {
  return config.aws.functionName ?? defaultFunctionName(config.name);
}

class Cancelled extends Error {}

/** A new IAM role takes seconds to reach Lambda; until then CreateFunction says it "cannot be assumed". */
const ROLE_PROPAGATION_DELAY_SECONDS = 2;
const ROLE_PROPAGATION_ATTEMPTS = 8;

async function createFunctionOnceRoleIsUsable<T>(
  create: () => Promise<T>,
  o: { retry: boolean; minDelaySeconds: number; log: (line: string) => void; signal?: AbortSignal },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await create();
    } catch (e) {
      const notYet = o.retry && attempt < ROLE_PROPAGATION_ATTEMPTS && /cannot be assumed/i.test(e instanceof Error ? e.message : String(e));
      if (!notYet) throw e;
      const seconds = Math.min(o.minDelaySeconds * 2 ** (attempt - 1), 10);
      o.log(`  the new role is not usable by Lambda yet (IAM propagation); trying again in ${seconds} s`);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, seconds * 1000);
        o.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(new Cancelled());
        });
      });
    }
  }
}

async function desiredPublicKeys(root: string, config: AuthorizerConfig): Promise<Record<string, string>> {
  if (config.signingDisabled) return {};
  const keys: Record<string, string> = {};
  for (const name of config.signingKeys) keys[name] = (await readPublicKey(root, name)).publicKeyPem;
  return keys;
}

function busy(f: FunctionState | undefined): boolean {
  return f !== undefined && (f.state === 'Pending' || f.lastUpdateStatus === 'InProgress');
}

export async function deployAuthorizer(input: DeployInput): Promise<DeployReport> {
  const config = input.authorizer;
  const root = input.workspaceRoot ?? input.project.dir;
  const log = input.log ?? (() => undefined);
  const steps: StepReport[] = [];
  const profile = input.factory.settings.profile;
  const iot = new IotAuthorizers(input.factory.iot(), profile);
  const lambda = new LambdaFunctions(input.factory.lambda(), profile);
  const fnName = functionNameFor(config);
  // IAM's SDK is evaluated only when a role is wanted.
  let roles: import('./iam').ExecutionRoles | undefined;
  const executionRoles = async () => (roles ??= new (await import('./iam')).ExecutionRoles(await input.factory.iam(), profile));
  let createdRoleArn: string | undefined;
  const record = (phase: DeployPhase, status: StepReport['status'], message: string) => {
    steps.push({ phase, status, message });
    log(`${status === 'failed' ? '✗' : status === 'not-run' ? '·' : '✓'} ${message}`);
  };
  const fail = (phase: DeployPhase, e: unknown, leftAsItWas: string[], plan?: DeployPlan, target?: AwsTarget): DeployReport => {
    const message = e instanceof Error ? e.message : String(e);
    record(phase, 'failed', `${phase}: ${message}`);
    const left = leftAsItWas.length ? ` Left as it was: ${leftAsItWas.join('; ')}.` : '';
    return {
      outcome: 'failed',
      authorizer: config.name,
      ...(target ? { target } : {}),
      ...(plan ? { plan } : {}),
      steps,
      failure: { phase, message, leftAsItWas },
      summary: `Deploy of ${config.name} failed at "${phase}": ${message}${left}`,
    };
  };

  // Package and read: nothing in AWS changes here.
  let pkg: HandlerPackage;
  let desired: DesiredState;
  try {
    pkg = input.packaged ?? (await packageHandler(config));
    desired = {
      function: {
        name: fnName,
        runtime: config.runtime,
        handler: pkg.handler,
        ...(config.aws.roleArn ? { roleArn: config.aws.roleArn } : {}),
        codeSha256: pkg.sha256,
        codeSize: pkg.zip.length,
      },
      authorizer: {
        name: config.name,
        ...(config.tokenKeyName !== undefined ? { tokenKeyName: config.tokenKeyName } : {}),
        publicKeys: await desiredPublicKeys(root, config),
        status: config.status,
        signingDisabled: config.signingDisabled,
        enableCachingForHttp: config.enableCachingForHttp,
      },
      setDefault: input.setDefault ?? false,
    };
    record(
      'package',
      'done',
      `Packaged ${config.handler}: ${plural(pkg.files.length, 'file', 'files')}, ${pkg.zip.length} bytes${pkg.bundler ? ` (${pkg.bundler})` : ''}, sha256 ${pkg.sha256}`,
    );
  } catch (e) {
    return fail('package', e, ['everything in AWS (nothing was read or changed)']);
  }

  let target: AwsTarget;
  let plan: DeployPlan;
  let observedFunction: FunctionState | undefined;
  try {
    target = await resolveTarget(input.factory);
    observedFunction = await lambda.getFunction(fnName);
    if (!observedFunction && !config.aws.roleArn && input.createRole) {
      const roleName = defaultRoleName(config.name);
      const existingRole = await (await executionRoles()).roleArn(roleName);
      desired = { ...desired, function: { ...desired.function, ...(existingRole ? { roleArn: existingRole } : { createRole: roleName }) } };
      if (existingRole) log(`  using the existing execution role ${existingRole}`);
    }
    const [permissions, authorizer, defaultAuthorizerName] = await Promise.all([
      observedFunction ? lambda.getPolicyStatements(fnName) : Promise.resolve([]),
      iot.describeAuthorizer(config.name),
      desired.setDefault ? iot.defaultAuthorizerName() : Promise.resolve(undefined),
    ]);
    plan = planDeploy(
      desired,
      {
        accountId: target.accountId,
        region: target.region,
        partition: target.partition,
        ...(observedFunction ? { function: observedFunction } : {}),
        permissions,
        ...(authorizer ? { authorizer } : {}),
        ...(defaultAuthorizerName ? { defaultAuthorizerName } : {}),
      },
      input.now,
    );
  } catch (e) {
    return fail('read', e, ['everything in AWS (nothing was changed)']);
  }
  record('read', 'done', `Read account ${target.accountId} in ${target.region}`);

  if (plan.blockers.length > 0) {
    return { outcome: 'blocked', authorizer: config.name, target, plan, steps, summary: `Nothing was changed: ${plan.blockers.join(' ')}` };
  }
  if (planIsNoop(plan)) {
    for (const s of plan.steps) record(s.kind, 'unchanged', `${stepLabel(s.kind)} ${s.target}: unchanged`);
    return {
      outcome: 'nothing-to-do',
      authorizer: config.name,
      target,
      plan,
      steps,
      summary: `Nothing to deploy: ${config.name} in ${target.accountId}/${target.region} already matches the workspace.`,
    };
  }
  if (!(await input.confirm(plan))) {
    return { outcome: 'declined', authorizer: config.name, target, plan, steps, summary: 'Deploy not confirmed: nothing was changed.' };
  }

  const pending = [...plan.steps];
  const leftAsItWas = () =>
    pending.map((s) => `${stepLabel(s.kind)} ${s.target}${s.action === 'none' ? '' : ` (not ${s.action === 'create' ? 'created' : 'updated'})`}`);
  const checkCancel = () => {
    if (input.signal?.aborted) throw new Cancelled();
  };
  const wait: WaitOptions = { ...input.wait, ...(input.signal ? { abortSignal: input.signal } : {}) };
  let current: PlanStep | undefined;
  try {
    while ((current = pending[0]) !== undefined) {
      checkCancel();
      const s = current;
      if (s.action === 'none') {
        record(s.kind, 'unchanged', `${stepLabel(s.kind)} ${s.target}: unchanged`);
      } else if (s.kind === 'role') {
        createdRoleArn = await (await executionRoles()).createExecutionRole(s.target, target.partition, config.name);
        record(s.kind, 'done', `${stepLabel(s.kind)} ${s.target}: created (${createdRoleArn}), with AWSLambdaBasicExecutionRole`);
      } else if (s.kind === 'function') {
        if (s.action === 'create') {
          const roleArn = config.aws.roleArn ?? createdRoleArn ?? desired.function.roleArn ?? '';
          await createFunctionOnceRoleIsUsable(() => lambda.createFunction(fnName, { runtime: config.runtime, handler: pkg.handler, roleArn }, pkg.zip), {
            retry: createdRoleArn !== undefined,
            minDelaySeconds: input.wait?.minDelaySeconds ?? ROLE_PROPAGATION_DELAY_SECONDS,
            log,
            ...(input.signal ? { signal: input.signal } : {}),
          });
          await lambda.waitUntilActive(fnName, wait);
        } else {
          if (busy(observedFunction)) {
            log(`  function ${fnName} is still updating; waiting until its last update is done`);
            await lambda.waitUntilUpdated(fnName, wait);
          }
          if (s.changes.some((c) => c.startsWith('code:'))) {
            await lambda.updateCode(fnName, pkg.zip);
            await lambda.waitUntilUpdated(fnName, wait);
          }
          if (s.changes.some((c) => !c.startsWith('code:'))) {
            checkCancel();
            await lambda.updateConfiguration(fnName, {
              runtime: config.runtime,
              handler: pkg.handler,
              ...(config.aws.roleArn ? { roleArn: config.aws.roleArn } : {}),
            });
            await lambda.waitUntilUpdated(fnName, wait);
          }
        }
        record(s.kind, 'done', `${stepLabel(s.kind)} ${fnName}: ${s.action === 'create' ? 'created, Active' : `updated (${s.changes.join('; ')})`}`);
      } else if (s.kind === 'permission') {
        const r = await lambda.addInvokePermission(fnName, plan.statementId, plan.authorizerArn);
        record(s.kind, 'done', `${stepLabel(s.kind)} ${plan.statementId}: ${r === 'added' ? 'added' : 'already present'}`);
      } else if (s.kind === 'authorizer') {
        const settings = { functionArn: plan.functionArn, ...desired.authorizer };
        if (s.action === 'create') await iot.createAuthorizer(config.name, settings);
        else await iot.updateAuthorizer(config.name, settings);
        record(s.kind, 'done', `${stepLabel(s.kind)} ${config.name}: ${s.action === 'create' ? 'created' : `updated (${s.changes.join('; ')})`}`);
      } else {
        await iot.setDefaultAuthorizer(config.name);
        record(s.kind, 'done', `${stepLabel(s.kind)}: now ${config.name}`);
      }
      pending.shift();
    }
  } catch (e) {
    if (e instanceof Cancelled || (e as Error).name === 'AbortError' || input.signal?.aborted) {
      const left = leftAsItWas();
      for (const s of pending) record(s.kind, 'not-run', `${stepLabel(s.kind)} ${s.target}: not run (cancelled)`);
      return {
        outcome: 'cancelled',
        authorizer: config.name,
        target,
        plan,
        steps,
        failure: { phase: current?.kind ?? 'function', message: 'Cancelled.', leftAsItWas: left },
        summary: `Deploy cancelled. Left as it was: ${left.join('; ') || 'nothing'}.`,
      };
    }
    const phase = current?.kind ?? 'function';
    const left = leftAsItWas();
    pending.shift();
    for (const s of pending) record(s.kind, 'not-run', `${stepLabel(s.kind)} ${s.target}: not run`);
    return fail(phase, e, left, plan, target);
  }

  let testInvoke: InvocationResult | undefined;
  let sentEvent: string | undefined;
  if (input.testInvoke !== false) {
    try {
      const sent = await testInvokeAfterDeploy({
        iot,
        target,
        project: input.project,
        config,
        root,
        log,
        ...(input.sign ? { sign: input.sign } : {}),
        ...(input.runLocally ? { runLocally: input.runLocally } : {}),
      });
      testInvoke = sent?.result;
      sentEvent = sent?.eventFile;
      if (testInvoke)
        record(
          'test-invoke',
          testInvoke.outcome === 'allowed' || testInvoke.outcome === 'denied' ? 'done' : 'failed',
          `Test-invoke${sentEvent ? ` with ${path.relative(input.project.dir, sentEvent)}` : ''}: ${testInvoke.headline}`,
        );
      else record('test-invoke', 'not-run', 'Test-invoke: skipped (no test event, and signing disabled or no private key in the workspace to sign a token with)');
    } catch (e) {
      return { ...fail('test-invoke', e, [], plan, target), summary: `Deployed ${config.name}, but the test-invoke failed: ${(e as Error).message}` };
    }
    if (testInvoke && testInvoke.outcome !== 'allowed' && testInvoke.outcome !== 'denied') {
      return {
        outcome: 'failed',
        authorizer: config.name,
        target,
        plan,
        steps,
        testInvoke,
        failure: { phase: 'test-invoke', message: testInvoke.headline, leftAsItWas: [] },
        summary: `Deployed ${config.name} to ${target.accountId}/${target.region}, but the test-invoke failed: ${testInvoke.headline}`,
      };
    }
  }
  return {
    outcome: 'done',
    authorizer: config.name,
    target,
    plan,
    steps,
    ...(testInvoke ? { testInvoke } : {}),
    summary: `Deployed ${config.name} to ${target.accountId}/${target.region}.${testInvoke ? ` Test-invoke${sentEvent ? ` with ${path.basename(sentEvent)}` : ''}: ${testInvoke.headline}.` : ''}`,
  };
}
