// What a deploy of one authorizer would change in AWS: compared field by field, the desired
// state (from iot-authorizer.json, the key store and the packaged code) against what AWS
// reports. Pure: the aws layer reads the account, this decides, the aws layer executes.
import { IOT_SERVICE_PRINCIPAL } from './constants';
import { checkLambdaRuntime, RuntimeCheck } from './lambdaRuntimes';

export interface DesiredFunction {
  readonly name: string;
  readonly runtime: string;
  /** Lambda's handler setting, e.g. `authorizer.handler` or `src/app.lambda_handler`. */
  readonly handler: string;
  readonly roleArn?: string;
  /** With no roleArn and no function yet: the minimal execution role deploy creates first (its name). */
  readonly createRole?: string;
  /** base64 SHA-256 of the zip, as Lambda reports CodeSha256. */
  readonly codeSha256: string;
  readonly codeSize: number;
}

export interface DesiredAuthorizer {
  readonly name: string;
  readonly tokenKeyName?: string;
  /** Key name to PEM public key, at most two. */
  readonly publicKeys: Readonly<Record<string, string>>;
  readonly status: 'ACTIVE' | 'INACTIVE';
  readonly signingDisabled: boolean;
  readonly enableCachingForHttp: boolean;
}

export interface DesiredState {
  readonly function: DesiredFunction;
  readonly authorizer: DesiredAuthorizer;
  readonly setDefault: boolean;
}

export interface ObservedFunction {
  readonly arn: string;
  readonly runtime?: string;
  readonly handler?: string;
  readonly role?: string;
  readonly codeSha256?: string;
}

export interface ObservedPermission {
  readonly sid: string;
  readonly principal?: string;
  readonly action?: string;
  readonly sourceArn?: string;
}

export interface ObservedAuthorizer {
  readonly arn: string;
  readonly functionArn?: string;
  readonly tokenKeyName?: string;
  readonly publicKeys: Readonly<Record<string, string>>;
  readonly status?: string;
  readonly signingDisabled?: boolean;
  readonly enableCachingForHttp?: boolean;
}

export interface ObservedState {
  readonly accountId: string;
  readonly region: string;
  readonly partition?: string;
  readonly function?: ObservedFunction;
  /** The function's resource policy statements (none when it has no policy). */
  readonly permissions: readonly ObservedPermission[];
  readonly authorizer?: ObservedAuthorizer;
  readonly defaultAuthorizerName?: string;
}

export type StepKind = 'role' | 'function' | 'permission' | 'authorizer' | 'default';
export type StepAction = 'create' | 'update' | 'none';

export interface PlanStep {
  readonly kind: StepKind;
  readonly action: StepAction;
  /** What the step acts on: function name, statement id, authorizer name. */
  readonly target: string;
  /** One line per field that differs, e.g. `code: 1.2 KB, sha256 abc… → def…`. */
  readonly changes: readonly string[];
}

export interface DeployPlan {
  readonly accountId: string;
  readonly region: string;
  readonly functionArn: string;
  readonly authorizerArn: string;
  readonly statementId: string;
  readonly steps: readonly PlanStep[];
  /** Problems that stop the deploy before anything changes. */
  readonly blockers: readonly string[];
  readonly warnings: readonly string[];
  readonly runtime: RuntimeCheck;
}

/** The Lambda function name deploy gives an authorizer without aws.functionName. */
export function defaultFunctionName(authorizerName: string): string {
  return `iot-authz-${authorizerName}`.replace(/[^a-zA-Z0-9_-]/g, '-').slice(0, 64);
}

/** The execution role deploy creates for an authorizer's function when asked to (IAM role names: 64 characters). */
export function defaultRoleName(authorizerName: string): string {
  return `iot-authz-${authorizerName}-role`.replace(/[^a-zA-Z0-9_+=,.@-]/g, '-').slice(0, 64);
}

/** The statement id the toolkit gives the invoke permission of an authorizer. */
export function permissionStatementId(authorizerName: string): string {
  return `iot-authz-${authorizerName}`.replace(/[^a-zA-Z0-9_-]/g, '-').slice(0, 100);
}

export function authorizerArn(partition: string, region: string, accountId: string, name: string): string {
  return `arn:${partition}:iot:${region}:${accountId}:authorizer/${name}`;
}

export function functionArn(partition: string, region: string, accountId: string, name: string): string {
  return `arn:${partition}:lambda:${region}:${accountId}:function:${name}`;
}

/** PEMs compared without line-ending and trailing-whitespace differences (AWS may normalise them). */
export function samePem(a: string | undefined, b: string | undefined): boolean {
  const norm = (s: string | undefined) => (s ?? '').replace(/\r\n/g, '\n').trim();
  return norm(a) === norm(b);
}

function short(sha: string | undefined): string {
  return sha ? sha.slice(0, 10) + '…' : 'none';
}

/** An existing statement that already grants IoT the invoke for this authorizer, whatever its id. */
export function findInvokePermission(permissions: readonly ObservedPermission[], sourceArn: string): ObservedPermission | undefined {
  return permissions.find(
    (p) => p.principal === IOT_SERVICE_PRINCIPAL && (p.action === 'lambda:InvokeFunction' || p.action === 'lambda:*') && p.sourceArn === sourceArn,
  );
}

/** Compares `desired` with `observed` and lists what a deploy does, in execution order. */
export function planDeploy(desired: DesiredState, observed: ObservedState, now: Date = new Date()): DeployPlan {
  const partition = observed.partition ?? 'aws';
  const fnArn = observed.function?.arn ?? functionArn(partition, observed.region, observed.accountId, desired.function.name);
  const authArn = observed.authorizer?.arn ?? authorizerArn(partition, observed.region, observed.accountId, desired.authorizer.name);
  const statementId = permissionStatementId(desired.authorizer.name);
  const blockers: string[] = [];
  const warnings: string[] = [];
  const steps: PlanStep[] = [];

  // 1. The function.
  const f = desired.function;
  const o = observed.function;
  const runtime = checkLambdaRuntime(f.runtime, now, o === undefined);
  if (runtime.standing === 'create-blocked' || runtime.standing === 'update-blocked') blockers.push(runtime.message ?? '');
  else if (runtime.standing === 'deprecated' || runtime.standing === 'unknown') warnings.push(runtime.message ?? '');
  if (!o && !f.roleArn && f.createRole) {
    steps.push({
      kind: 'role',
      action: 'create',
      target: f.createRole,
      changes: ['trust lambda.amazonaws.com (sts:AssumeRole), managed policy AWSLambdaBasicExecutionRole (CloudWatch Logs only)'],
    });
  }
  if (!o) {
    if (!f.roleArn && !f.createRole)
      blockers.push(
        `The function ${f.name} does not exist yet and needs an execution role: set "aws": {"roleArn": "arn:aws:iam::<account>:role/<name>"} on the authorizer in iot-authorizer.json (a role Lambda can assume, with AWSLambdaBasicExecutionRole), or let deploy create a minimal one (iot-authz deploy --create-role; "Create Role and Deploy" in the editor).`,
      );
    steps.push({
      kind: 'function',
      action: 'create',
      target: f.name,
      changes: [`runtime ${f.runtime}, handler ${f.handler}, code ${f.codeSize} bytes (sha256 ${short(f.codeSha256)})`],
    });
  } else {
    const changes: string[] = [];
    if (o.codeSha256 !== f.codeSha256) changes.push(`code: sha256 ${short(o.codeSha256)} → ${short(f.codeSha256)} (${f.codeSize} bytes)`);
    if (o.runtime !== f.runtime) changes.push(`runtime: ${o.runtime ?? 'none'} → ${f.runtime}`);
    if (o.handler !== f.handler) changes.push(`handler: ${o.handler ?? 'none'} → ${f.handler}`);
    if (f.roleArn && o.role !== f.roleArn) changes.push(`role: ${o.role ?? 'none'} → ${f.roleArn}`);
    steps.push({ kind: 'function', action: changes.length ? 'update' : 'none', target: f.name, changes });
  }

  // 2. The invoke permission for iot.amazonaws.com from this authorizer.
  const existing = o ? findInvokePermission(observed.permissions, authArn) : undefined;
  if (existing) steps.push({ kind: 'permission', action: 'none', target: existing.sid, changes: [] });
  else {
    const clash = observed.permissions.find((p) => p.sid === statementId);
    if (clash)
      blockers.push(
        `The function's policy already has a statement "${statementId}" that does not grant ${IOT_SERVICE_PRINCIPAL} lambda:InvokeFunction from ${authArn}. Remove it: aws lambda remove-permission --function-name ${f.name} --statement-id ${statementId}`,
      );
    steps.push({ kind: 'permission', action: 'create', target: statementId, changes: [`allow ${IOT_SERVICE_PRINCIPAL} to invoke, source ${authArn}`] });
  }

  // 3. The authorizer.
  const d = desired.authorizer;
  const a = observed.authorizer;
  const keyNames = Object.keys(d.publicKeys);
  if (!a) {
    steps.push({
      kind: 'authorizer',
      action: 'create',
      target: d.name,
      changes: [
        `status ${d.status}, signing ${d.signingDisabled ? 'disabled' : 'enabled'}${d.tokenKeyName ? `, token key ${d.tokenKeyName}` : ''}${keyNames.length ? `, keys ${keyNames.join(', ')}` : ''}${d.enableCachingForHttp ? ', HTTP caching on' : ''}`,
      ],
    });
  } else {
    const changes: string[] = [];
    if ((a.signingDisabled ?? false) !== d.signingDisabled) {
      blockers.push(
        `Authorizer ${d.name} has signing ${a.signingDisabled ? 'disabled' : 'enabled'} in AWS, and AWS cannot change signingDisabled after creation. Either set "signingDisabled": ${a.signingDisabled ? 'true' : 'false'} in iot-authorizer.json, or give the authorizer a new name (a new authorizer is created; delete the old one after deactivating it).`,
      );
    }
    if (a.functionArn !== fnArn) changes.push(`function: ${a.functionArn ?? 'none'} → ${fnArn}`);
    if (!d.signingDisabled && (a.tokenKeyName ?? '') !== (d.tokenKeyName ?? ''))
      changes.push(`token key name: ${a.tokenKeyName ?? 'none'} → ${d.tokenKeyName ?? 'none'}`);
    if (!d.signingDisabled) {
      for (const k of keyNames) {
        if (!(k in a.publicKeys)) changes.push(`public key ${k}: added`);
        else if (!samePem(a.publicKeys[k], d.publicKeys[k])) changes.push(`public key ${k}: replaced`);
      }
      for (const k of Object.keys(a.publicKeys)) if (!(k in d.publicKeys)) changes.push(`public key ${k}: removed`);
    }
    if (a.status !== d.status) changes.push(`status: ${a.status ?? 'none'} → ${d.status}`);
    if ((a.enableCachingForHttp ?? false) !== d.enableCachingForHttp)
      changes.push(`HTTP caching: ${a.enableCachingForHttp ? 'on' : 'off'} → ${d.enableCachingForHttp ? 'on' : 'off'}`);
    steps.push({ kind: 'authorizer', action: changes.length ? 'update' : 'none', target: d.name, changes });
  }

  // 4. The account's default authorizer.
  if (desired.setDefault) {
    const isDefault = observed.defaultAuthorizerName === d.name;
    steps.push({
      kind: 'default',
      action: isDefault ? 'none' : 'update',
      target: d.name,
      changes: isDefault ? [] : [`default authorizer: ${observed.defaultAuthorizerName ?? 'none'} → ${d.name}`],
    });
  }

  return {
    accountId: observed.accountId,
    region: observed.region,
    functionArn: fnArn,
    authorizerArn: authArn,
    statementId,
    steps,
    blockers,
    warnings,
    runtime,
  };
}

/** True when the plan changes nothing in AWS. */
export function planIsNoop(plan: DeployPlan): boolean {
  return plan.steps.every((s) => s.action === 'none');
}

const STEP_LABEL: Record<StepKind, string> = {
  role: 'Execution role',
  function: 'Lambda function',
  permission: 'Invoke permission',
  authorizer: 'Authorizer',
  default: 'Default authorizer',
};

export function stepLabel(kind: StepKind): string {
  return STEP_LABEL[kind];
}

/** The plan as lines for a terminal or the output channel. */
export function formatPlan(plan: DeployPlan): string {
  const lines = [`Account ${plan.accountId}, region ${plan.region}`];
  for (const s of plan.steps) {
    const verb = s.action === 'none' ? 'leave alone' : s.action;
    lines.push(`  ${verb.padEnd(11)} ${STEP_LABEL[s.kind]} ${s.target}`);
    for (const c of s.changes) lines.push(`              ${c}`);
  }
  for (const w of plan.warnings) lines.push(`  warning: ${w}`);
  for (const b of plan.blockers) lines.push(`  cannot deploy: ${b}`);
  if (planIsNoop(plan) && plan.blockers.length === 0) lines.push('  Nothing to change: AWS already matches the workspace.');
  return lines.join('\n') + '\n';
}
