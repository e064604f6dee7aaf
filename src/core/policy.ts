// Evaluates the policies an authorizer returned against what a device tries to do (docs/aws-custom-auth.md: "Policy evaluation"): which
// statement allows or denies `iot:Publish` to `a/b`, and a plain summary of what is allowed.
// Pure: the caller supplies region, account and connection values.
//
// Choices where AWS is silent, stated once here:
// - A Condition the evaluator does not understand is never assumed true for an Allow (it grants
//   nothing) and is assumed to apply for a Deny (it denies). Both err towards "denied", and the
//   decision lists the finding and says it is not certain.
// - A variable with no value (e.g. `${iot:ClientId}` on HTTPS) or an unknown variable makes that
//   Resource entry match nothing, for Allow and Deny alike: IAM's rule for unresolved variables.
// - Variables are substituted as literal text: a client id `*` or `+` is not a wildcard.
// - Thing variables resolve only when the caller sets `thingName` (see PolicyContext).
import { representativeRequest } from './policyRows';
import { retainNeedsPublish } from './retainPublish';
import { DEFAULT_ARN_PARTITION, IOT_POLICY_VERSION } from './constants';
import { UserError } from './errors';
import {
  CompiledPattern,
  ConnectionValues,
  compilePattern,
  instantiatePattern,
  lookupPolicyVariable,
  parseArn,
  patternMatches,
  VariableResolver,
} from './policyMatch';

export type IotAction = 'iot:Connect' | 'iot:Publish' | 'iot:Subscribe' | 'iot:Receive' | 'iot:RetainPublish';

/** The actions a custom-authorizer connection performs, in the order a results table lists them. */
export const IOT_ACTIONS: readonly IotAction[] = ['iot:Connect', 'iot:Publish', 'iot:RetainPublish', 'iot:Subscribe', 'iot:Receive'];

export type PolicyStringList = string | readonly string[];

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: PolicyStringList;
  NotAction?: PolicyStringList;
  Resource?: PolicyStringList;
  NotResource?: PolicyStringList;
  /** `{ operator: { key: value | values } }`. */
  Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: PolicyStatement | readonly PolicyStatement[];
}

export interface PolicyContext {
  region: string;
  accountId: string;
  /** Defaults to `aws`. */
  partition?: string;
  /** The MQTT client id of the connection; absent for HTTPS publish. */
  clientId?: string;
  /** For display only: AWS documents no policy variable for the principal id. */
  principalId?: string;
  /**
   * Set only to model a principal attached to a thing. AWS attaches things to certificates and
   * Cognito identities, not to custom-authorizer principals, so leave it unset for faithful
   * results: thing variables then stay unresolved, as in AWS.
   */
  thingName?: string;
  thingTypeName?: string;
  thingAttributes?: Readonly<Record<string, string>>;
  sourceIp?: string;
  domainName?: string;
}

export interface AuthorizationRequest {
  action: IotAction;
  /** For iot:Connect; defaults to the context's client id. */
  clientId?: string;
  /** For iot:Publish, iot:Receive, iot:RetainPublish: the topic name, e.g. `a/b`. */
  topic?: string;
  /** For iot:Subscribe: the filter as the client sends it, e.g. `a/#`. */
  topicFilter?: string;
}

export interface DecidingStatement {
  documentIndex: number;
  statementIndex: number;
  effect: 'Allow' | 'Deny';
  sid?: string;
  /** The Action (or NotAction) entry that matched, as written. */
  matchedAction: string;
  /** The Resource entry that matched, with variables substituted; for NotResource, that element as written. */
  matchedResource: string;
}

export type UnsupportedCode =
  | 'DOCUMENT_UNREADABLE'
  | 'STATEMENT_MALFORMED'
  | 'VARIABLE_UNKNOWN'
  | 'VARIABLE_NO_VALUE'
  | 'VARIABLE_NOT_SUBSTITUTED'
  | 'CONDITION_UNSUPPORTED'
  | 'CONDITION_KEY_NO_VALUE';

export interface UnsupportedFinding {
  code: UnsupportedCode;
  documentIndex: number;
  statementIndex?: number;
  /** JSON path inside the policy list, e.g. `policyDocuments[0].Statement[1].Condition`. */
  path: string;
  message: string;
}

export interface AuthorizationDecision {
  allowed: boolean;
  action: IotAction;
  resourceArn: string;
  reason: 'explicit-deny' | 'allowed' | 'implicit-deny';
  decidingStatement?: DecidingStatement;
  /** Statements the evaluator could not fully apply; see the file comment for how each is treated. */
  unsupported: UnsupportedFinding[];
  /** False when an unsupported element could have changed the outcome. */
  certain: boolean;
}

const RESOURCE_TYPE_OF: Readonly<Record<IotAction, 'client' | 'topic' | 'topicfilter'>> = {
  'iot:Connect': 'client',
  'iot:Publish': 'topic',
  'iot:Receive': 'topic',
  'iot:RetainPublish': 'topic',
  'iot:Subscribe': 'topicfilter',
};

/** The name the request names for its action's resource, or undefined if it names none. */
function resourceNameOf(request: AuthorizationRequest, ctx: PolicyContext): string | undefined {
  switch (request.action) {
    case 'iot:Connect':
      return request.clientId ?? ctx.clientId;
    case 'iot:Subscribe':
      return request.topicFilter ?? request.topic;
    default:
      return request.topic;
  }
}

/**
 * The ARN AWS checks for a request: `arn:aws:iot:<region>:<account>:client/<id>`, `topic/<t>` or
 * `topicfilter/<f>`. Throws a UserError when the request names no client id, topic or filter.
 */
export function resourceArnFor(request: AuthorizationRequest, ctx: PolicyContext): string {
  const name = resourceNameOf(request, ctx);
  if (name === undefined || name === '') {
    const field = request.action === 'iot:Connect' ? 'clientId' : request.action === 'iot:Subscribe' ? 'topicFilter' : 'topic';
    throw new UserError(`${request.action} needs a "${field}" to build the resource ARN it is checked against.`, 'REQUEST_INCOMPLETE');
  }
  const partition = ctx.partition ?? DEFAULT_ARN_PARTITION;
  return `arn:${partition}:iot:${ctx.region}:${ctx.accountId}:${RESOURCE_TYPE_OF[request.action]}/${name}`;
}

// ---------------------------------------------------------------------------------------------
// Reading documents into statements

/** A statement as read from a document: what evaluation and the findings about it use. */
export interface ReadStatement {
  documentIndex: number;
  statementIndex: number;
  path: string;
  effect: 'Allow' | 'Deny';
  sid?: string;
  actions: string[];
  notAction: boolean;
  resources: string[];
  notResource: boolean;
  condition?: Record<string, unknown>;
  /** Version 2012-10-17: `${...}` is a variable; otherwise literal text. */
  substitutes: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) return value as string[];
  return undefined;
}

/** The well-formed statements of the documents (objects, or JSON strings as test-invoke returns them). */
export function policyStatements(documents: ReadonlyArray<PolicyDocument | string>): ReadStatement[] {
  return readStatements(documents, 'policyDocuments').statements;
}

/** Parses documents (objects, or JSON strings as test-invoke returns them) into statements. */
function readStatements(
  documents: ReadonlyArray<PolicyDocument | string>,
  pathPrefix: string,
): { statements: ReadStatement[]; problems: UnsupportedFinding[] } {
  const statements: ReadStatement[] = [];
  const problems: UnsupportedFinding[] = [];
  documents.forEach((input, documentIndex) => {
    const docPath = `${pathPrefix}[${documentIndex}]`;
    let doc: unknown = input;
    if (typeof input === 'string') {
      try {
        doc = JSON.parse(input);
      } catch {
        doc = undefined;
      }
    }
    if (!isRecord(doc)) {
      problems.push({ code: 'DOCUMENT_UNREADABLE', documentIndex, path: docPath, message: 'This policy document is not a JSON object; it grants and denies nothing here.' });
      return;
    }
    const substitutes = doc.Version === IOT_POLICY_VERSION;
    const raw = doc.Statement;
    if (!Array.isArray(raw) && !isRecord(raw)) {
      problems.push({ code: 'DOCUMENT_UNREADABLE', documentIndex, path: `${docPath}.Statement`, message: '"Statement" must be an object or a list of objects; this document grants and denies nothing here.' });
      return;
    }
    const list: unknown[] = Array.isArray(raw) ? raw : [raw];
    list.forEach((st, statementIndex) => {
      const path = Array.isArray(raw) ? `${docPath}.Statement[${statementIndex}]` : `${docPath}.Statement`;
      const malformed = (why: string) =>
        problems.push({ code: 'STATEMENT_MALFORMED', documentIndex, statementIndex, path, message: `${why}; the statement is skipped.` });
      if (!isRecord(st)) return malformed('The statement is not an object');
      const effect = st.Effect;
      if (effect !== 'Allow' && effect !== 'Deny') return malformed('"Effect" must be "Allow" or "Deny"');
      if ((st.Action === undefined) === (st.NotAction === undefined)) return malformed('A statement needs exactly one of "Action" and "NotAction"');
      if ((st.Resource === undefined) === (st.NotResource === undefined)) return malformed('A statement needs exactly one of "Resource" and "NotResource"');
      const actions = stringList(st.Action ?? st.NotAction);
      if (!actions) return malformed('"Action" must be a string or a non-empty list of strings');
      const resources = stringList(st.Resource ?? st.NotResource);
      if (!resources) return malformed('"Resource" must be a string or a non-empty list of strings');
      if (st.Condition !== undefined && !isRecord(st.Condition)) return malformed('"Condition" must be an object');
      statements.push({
        documentIndex,
        statementIndex,
        path,
        effect,
        sid: typeof st.Sid === 'string' ? st.Sid : undefined,
        actions,
        notAction: st.NotAction !== undefined,
        resources,
        notResource: st.NotResource !== undefined,
        condition: st.Condition as Record<string, unknown> | undefined,
        substitutes,
      });
    });
  });
  return { statements, problems };
}

function connectionValues(ctx: PolicyContext, request?: AuthorizationRequest): ConnectionValues {
  // A CONNECT's client id is the connection's client id: the two cannot differ, so the request wins.
  const clientId = request?.action === 'iot:Connect' ? request.clientId ?? ctx.clientId : ctx.clientId;
  return {
    clientId,
    thingName: ctx.thingName,
    thingTypeName: ctx.thingTypeName,
    thingAttributes: ctx.thingAttributes,
    sourceIp: ctx.sourceIp,
    domainName: ctx.domainName,
  };
}

function resolverFor(values: ConnectionValues): VariableResolver {
  return (name) => lookupPolicyVariable(name, values);
}

/** The first Action/NotAction entry that matches (or, for NotAction, undefined when one matches). */
function matchAction(st: ReadStatement, action: string): { applies: boolean; matched: string } {
  const hit = st.actions.find((a) => patternMatches(compilePattern(a), action, true));
  if (st.notAction) return { applies: hit === undefined, matched: `NotAction ${JSON.stringify(st.actions)}` };
  return { applies: hit !== undefined, matched: hit ?? '' };
}

function variableFindings(st: ReadStatement, patterns: readonly CompiledPattern[], element: string): UnsupportedFinding[] {
  const out: UnsupportedFinding[] = [];
  for (const p of patterns) {
    for (const u of p.unresolved) {
      out.push({
        code: u.kind === 'unknown' ? 'VARIABLE_UNKNOWN' : 'VARIABLE_NO_VALUE',
        documentIndex: st.documentIndex,
        statementIndex: st.statementIndex,
        path: `${st.path}.${element}`,
        message: `\${${u.variable}} in "${p.source}": ${u.reason}. This entry matches nothing.`,
      });
    }
  }
  return out;
}

function literalVariableFindings(st: ReadStatement, element: string, values: readonly string[]): UnsupportedFinding[] {
  if (st.substitutes || !values.some((v) => v.includes('${'))) return [];
  return [{
    code: 'VARIABLE_NOT_SUBSTITUTED',
    documentIndex: st.documentIndex,
    statementIndex: st.statementIndex,
    path: `${st.path}.${element}`,
    message: `This document's Version is not "${IOT_POLICY_VERSION}", so \${...} is matched as literal text, not substituted.`,
  }];
}

type Tri = true | false | 'unknown';

const STRING_OPERATORS: Readonly<Record<string, { negate: boolean; like: boolean; ignoreCase: boolean }>> = {
  StringEquals: { negate: false, like: false, ignoreCase: false },
  StringNotEquals: { negate: true, like: false, ignoreCase: false },
  StringEqualsIgnoreCase: { negate: false, like: false, ignoreCase: true },
  StringNotEqualsIgnoreCase: { negate: true, like: false, ignoreCase: true },
  StringLike: { negate: false, like: true, ignoreCase: false },
  StringNotLike: { negate: true, like: true, ignoreCase: false },
  Bool: { negate: false, like: false, ignoreCase: true },
};

/**
 * Three-valued evaluation of a Condition block: operators AND together, keys within an operator
 * AND together, values of a key OR together. Supported: the string operators and Bool above, on
 * keys with a value for this connection. `...IfExists`, `ForAnyValue:`, IpAddress, Numeric, Date,
 * Arn and Null operators are reported and count as unknown.
 */
function evaluateCondition(st: ReadStatement, values: ConnectionValues, findings: UnsupportedFinding[]): Tri {
  const condition = st.condition;
  if (!condition) return true;
  const resolve = resolverFor(values);
  let result: Tri = true;
  const path = `${st.path}.Condition`;
  const report = (code: UnsupportedCode, message: string) => {
    const consequence = st.effect === 'Allow' ? 'so this Allow grants nothing here' : 'so this Deny is assumed to apply';
    findings.push({ code, documentIndex: st.documentIndex, statementIndex: st.statementIndex, path, message: `${message}, ${consequence}.` });
  };
  const and = (value: Tri) => {
    if (result === false || value === true) return;
    result = value === false ? false : 'unknown';
  };
  for (const [operator, block] of Object.entries(condition)) {
    const op = STRING_OPERATORS[operator];
    if (!op || !isRecord(block)) {
      report('CONDITION_UNSUPPORTED', `Condition operator "${operator}" is not evaluated by this tool`);
      and('unknown');
      continue;
    }
    for (const [key, expected] of Object.entries(block)) {
      const actual = lookupPolicyVariable(key, values);
      if (actual.kind !== 'value') {
        report(
          actual.kind === 'unknown' ? 'CONDITION_UNSUPPORTED' : 'CONDITION_KEY_NO_VALUE',
          `Condition key "${key}" under ${operator} cannot be evaluated (${actual.reason})`,
        );
        and('unknown');
        continue;
      }
      const list = (Array.isArray(expected) ? expected : [expected]).map((v) => String(v));
      const patterns = list.map((v) => compilePattern(v, st.substitutes ? resolve : undefined));
      if (patterns.some((p) => p.unresolved.length > 0)) {
        report('CONDITION_UNSUPPORTED', `A value under ${operator}.${key} uses a variable without a value`);
        and('unknown');
        continue;
      }
      const any = patterns.some((p) =>
        op.like ? patternMatches(p, actual.value, op.ignoreCase) : equalsText(instantiatePattern(p, '*', '?'), actual.value, op.ignoreCase),
      );
      and(op.negate ? !any : any);
    }
  }
  return result;
}

function equalsText(a: string, b: string, ignoreCase: boolean): boolean {
  return ignoreCase ? a.toLowerCase() === b.toLowerCase() : a === b;
}

interface StatementOutcome {
  applies: Tri;
  /** True when an element this tool cannot judge (unknown variable, unsupported condition) decided `applies`. */
  uncertain: boolean;
  matchedAction: string;
  matchedResource: string;
  findings: UnsupportedFinding[];
}

function applyStatement(st: ReadStatement, action: IotAction, arn: string, values: ConnectionValues): StatementOutcome {
  const none: StatementOutcome = { applies: false, uncertain: false, matchedAction: '', matchedResource: '', findings: [] };
  const actionHit = matchAction(st, action);
  if (!actionHit.applies) return none;
  const findings: UnsupportedFinding[] = [...literalVariableFindings(st, st.notResource ? 'NotResource' : 'Resource', st.resources)];
  const resolve = st.substitutes ? resolverFor(values) : undefined;
  const patterns = st.resources.map((r) => compilePattern(r, resolve));
  const element = st.notResource ? 'NotResource' : 'Resource';
  const hit = patterns.find((p) => patternMatches(p, arn));
  const unknownVariable = patterns.some((p) => p.unresolved.some((u) => u.kind === 'unknown'));
  let matchedResource: string;
  if (st.notResource) {
    // An unresolved entry might be the one that excludes this ARN: the statement cannot apply through it.
    if (hit) return none;
    if (patterns.some((p) => p.unresolved.length > 0)) {
      return { ...none, uncertain: unknownVariable, findings: [...findings, ...variableFindings(st, patterns, element)] };
    }
    matchedResource = `NotResource ${JSON.stringify(st.resources)}`;
  } else {
    if (!hit) return { ...none, uncertain: unknownVariable, findings: [...findings, ...variableFindings(st, patterns, element)] };
    matchedResource = hit.display;
  }
  const applies = evaluateCondition(st, values, findings);
  return { applies, uncertain: applies === 'unknown', matchedAction: actionHit.matched, matchedResource, findings };
}

function decidingFrom(st: ReadStatement, outcome: StatementOutcome): DecidingStatement {
  return {
    documentIndex: st.documentIndex,
    statementIndex: st.statementIndex,
    effect: st.effect,
    sid: st.sid,
    matchedAction: outcome.matchedAction,
    matchedResource: outcome.matchedResource,
  };
}

/**
 * Decides one request as AWS IoT does: an explicit Deny anywhere wins, else any Allow grants, else
 * the default deny. `documents` are objects or JSON strings; paths in findings start with
 * `policyDocuments`. Throws a UserError (REQUEST_INCOMPLETE) when the request names no resource.
 */
export function evaluatePolicies(
  documents: ReadonlyArray<PolicyDocument | string>,
  request: AuthorizationRequest,
  context: PolicyContext,
): AuthorizationDecision {
  const decision = evaluateOneAction(documents, request, context);
  if (request.action !== 'iot:RetainPublish') return decision;
  return retainNeedsPublish(decision, evaluateOneAction(documents, { ...request, action: 'iot:Publish' }, context));
}

function evaluateOneAction(
  documents: ReadonlyArray<PolicyDocument | string>,
  request: AuthorizationRequest,
  context: PolicyContext,
): AuthorizationDecision {
  const resourceArn = resourceArnFor(request, context);
  const { statements, problems } = readStatements(documents, 'policyDocuments');
  const values = connectionValues(context, request);
  const unsupported: UnsupportedFinding[] = [...problems];
  let definiteDeny: DecidingStatement | undefined;
  let assumedDeny: DecidingStatement | undefined;
  let allow: DecidingStatement | undefined;
  // Unreadable documents might hold anything, so they make every outcome uncertain.
  let uncertainDeny = problems.length > 0;
  let uncertainAllow = problems.length > 0;
  for (const st of statements) {
    const outcome = applyStatement(st, request.action, resourceArn, values);
    unsupported.push(...outcome.findings);
    if (outcome.uncertain && st.effect === 'Deny') uncertainDeny = true;
    if (outcome.uncertain && st.effect === 'Allow') uncertainAllow = true;
    if (outcome.applies === false) continue;
    if (st.effect === 'Deny') {
      if (outcome.applies === true) definiteDeny ??= decidingFrom(st, outcome);
      else assumedDeny ??= decidingFrom(st, outcome);
    } else if (outcome.applies === true) {
      allow ??= decidingFrom(st, outcome);
    }
  }
  const base = { action: request.action, resourceArn, unsupported };
  if (definiteDeny) return { ...base, allowed: false, reason: 'explicit-deny', decidingStatement: definiteDeny, certain: true };
  // An assumed Deny changes nothing when no Allow would have granted the request anyway.
  if (assumedDeny) return { ...base, allowed: false, reason: 'explicit-deny', decidingStatement: assumedDeny, certain: !allow && !uncertainAllow };
  if (allow) return { ...base, allowed: true, reason: 'allowed', decidingStatement: allow, certain: !uncertainDeny };
  return { ...base, allowed: false, reason: 'implicit-deny', certain: !uncertainAllow };
}

/** Evaluates each request in turn, for the results table. */
export function evaluateMatrix(
  documents: ReadonlyArray<PolicyDocument | string>,
  ctx: PolicyContext,
  requests: readonly AuthorizationRequest[],
): AuthorizationDecision[] {
  return requests.map((r) => evaluatePolicies(documents, r, ctx));
}

// ---------------------------------------------------------------------------------------------
// Summary

export interface ResourcePatternView {
  /** As written in the policy. */
  pattern: string;
  /** With variables substituted; unresolved ones stay as `${name}`. */
  resolved: string;
  /** True when the statement uses NotResource: everything except this pattern. */
  except: boolean;
  /** True when the statement has a Condition, so the entry applies only sometimes. */
  conditional: boolean;
  /** Variables in the pattern that have no value here: the entry matches nothing. */
  unresolvedVariables: string[];
  documentIndex: number;
  statementIndex: number;
  sid?: string;
}

export interface ActionSummary {
  action: IotAction;
  allowed: ResourcePatternView[];
  denied: ResourcePatternView[];
}

export type PolicyWarningCode =
  | 'NO_ALLOW'
  | 'NO_CONNECT'
  | 'CONNECT_DENIED_FOR_CLIENT'
  | 'SUBSCRIBE_WITHOUT_RECEIVE'
  | 'RECEIVE_WITHOUT_SUBSCRIBE'
  | 'RETAIN_WITHOUT_PUBLISH'
  | 'ALLOW_EVERYTHING'
  | 'CLIENT_ID_VARIABLE_IN_TOPIC_FILTER';

export interface PolicyWarning {
  code: PolicyWarningCode;
  severity: 'warning' | 'info';
  message: string;
  hint: string;
}

export interface PolicySummary {
  actions: ActionSummary[];
  warnings: PolicyWarning[];
  unsupported: UnsupportedFinding[];
}

function viewsFor(st: ReadStatement, values: ConnectionValues): ResourcePatternView[] {
  const resolve = st.substitutes ? resolverFor(values) : undefined;
  return st.resources.map((r) => {
    const p = compilePattern(r, resolve);
    return {
      pattern: r,
      resolved: p.display,
      except: st.notResource,
      conditional: st.condition !== undefined && Object.keys(st.condition).length > 0,
      unresolvedVariables: p.unresolved.map((u) => u.variable),
      documentIndex: st.documentIndex,
      statementIndex: st.statementIndex,
      sid: st.sid,
    };
  });
}

/**
 * Whether an entry could match some resource of the type at all: `topic/a` can never match a
 * `topicfilter/` ARN, `*` and `arn:aws:iot:*` can.
 */
function couldMatchType(view: ResourcePatternView, type: string, ctx: PolicyContext): boolean {
  if (view.except) return true;
  // Without a client id in the context, client/${iot:ClientId} still admits whichever id connects.
  if (view.unresolvedVariables.some((v) => !(type === 'client' && v === 'iot:ClientId'))) return false;
  const arn = parseArn(view.resolved);
  if (!arn) {
    const partition = ctx.partition ?? DEFAULT_ARN_PARTITION;
    return patternMatches(compilePattern(view.resolved), `arn:${partition}:iot:${ctx.region}:${ctx.accountId}:${type}/x`);
  }
  // The entry's own name stands in for the resource name, so only the type part can fail.
  return patternMatches(compilePattern(arn.resource), `${type}/${arn.name ?? ''}`);
}

/**
 * What the documents allow and deny, per action, in plain terms, with the traps that make a
 * policy behave differently from what its author meant.
 */
export function summarizePolicies(documents: ReadonlyArray<PolicyDocument | string>, ctx: PolicyContext): PolicySummary {
  const { statements, problems } = readStatements(documents, 'policyDocuments');
  const values = connectionValues(ctx);
  const actions: ActionSummary[] = IOT_ACTIONS.map((action) => ({ action, allowed: [], denied: [] }));
  for (const st of statements) {
    const views = viewsFor(st, values);
    for (const entry of actions) {
      if (!matchAction(st, entry.action).applies) continue;
      (st.effect === 'Allow' ? entry.allowed : entry.denied).push(...views);
    }
  }
  const allowedFor = (action: IotAction) =>
    (actions.find((a) => a.action === action)?.allowed ?? []).filter((v) => couldMatchType(v, RESOURCE_TYPE_OF[action], ctx));
  const warnings: PolicyWarning[] = [];
  if (!statements.some((s) => s.effect === 'Allow')) {
    warnings.push({
      code: 'NO_ALLOW',
      severity: 'warning',
      message: 'No statement allows anything: every request is denied.',
      hint: 'Add an "Effect": "Allow" statement for iot:Connect and the topics the device uses.',
    });
  } else if (allowedFor('iot:Connect').length === 0) {
    warnings.push({
      code: 'NO_CONNECT',
      severity: 'warning',
      message: 'Nothing allows iot:Connect: HTTPS publish can work, but MQTT and MQTT-over-WebSocket clients are disconnected at CONNECT.',
      hint: `Allow iot:Connect on arn:aws:iot:${ctx.region}:${ctx.accountId}:client/\${iot:ClientId} (or the client ids you expect).`,
    });
  } else if (ctx.clientId !== undefined) {
    const connect = evaluatePolicies(documents, { action: 'iot:Connect', clientId: ctx.clientId }, ctx);
    if (!connect.allowed) {
      warnings.push({
        code: 'CONNECT_DENIED_FOR_CLIENT',
        severity: 'warning',
        message: `iot:Connect is allowed for some client ids, but not for "${ctx.clientId}" (${connect.reason}).`,
        hint: `Check the client/ ARNs against ${connect.resourceArn}.`,
      });
    }
  }
  if (allowedFor('iot:Subscribe').length > 0 && allowedFor('iot:Receive').length === 0) {
    warnings.push({
      code: 'SUBSCRIBE_WITHOUT_RECEIVE',
      severity: 'warning',
      message: 'iot:Subscribe is allowed but iot:Receive is not: subscriptions succeed, yet no message is ever delivered.',
      hint: 'Allow iot:Receive on the matching topic/ ARNs (Receive is checked against topic names, Subscribe against topic filters).',
    });
  }
  if (allowedFor('iot:Receive').length > 0 && allowedFor('iot:Subscribe').length === 0) {
    warnings.push({
      code: 'RECEIVE_WITHOUT_SUBSCRIBE',
      severity: 'info',
      message: 'iot:Receive is allowed but iot:Subscribe is not: the client cannot subscribe, so it receives only from subscriptions of an earlier persistent session.',
      hint: 'Allow iot:Subscribe on the matching topicfilter/ ARNs.',
    });
  }
  if (allowedFor('iot:RetainPublish').length > 0 && allowedFor('iot:Publish').length === 0) {
    warnings.push({
      code: 'RETAIN_WITHOUT_PUBLISH',
      severity: 'warning',
      message: 'iot:RetainPublish is allowed without iot:Publish: a retained publish needs both.',
      hint: 'Allow iot:Publish on the same topic/ ARNs.',
    });
  }
  for (const st of statements) {
    if (st.effect !== 'Allow' || st.notAction || st.notResource || st.condition) continue;
    const everyAction = st.actions.some((a) => a === '*' || a.toLowerCase() === 'iot:*');
    const everyResource = st.resources.some((r) => r === '*' || /^arn:[^:]*:iot:\*:\*:\*$/.test(r));
    if (everyAction && everyResource) {
      warnings.push({
        code: 'ALLOW_EVERYTHING',
        severity: 'warning',
        message: `${st.path} allows every IoT action on every resource: any client id, any topic.`,
        hint: 'Fine for a first test; before production, allow only the client id and topics the device needs.',
      });
    }
  }
  const subscribeUsesClientId = allowedFor('iot:Subscribe').some((v) => v.pattern.includes('${iot:ClientId}'));
  // client/${iot:ClientId} admits every client id too: the variable is whatever id connects.
  const connectAnyClient = allowedFor('iot:Connect').some((v) => {
    const arn = parseArn(v.pattern);
    return v.pattern === '*' || (arn !== undefined && (arn.resource === '*' || arn.name === '*' || arn.name === '${iot:ClientId}' || arn.resource.startsWith('*')));
  });
  if (subscribeUsesClientId && connectAnyClient) {
    warnings.push({
      code: 'CLIENT_ID_VARIABLE_IN_TOPIC_FILTER',
      severity: 'warning',
      message: 'A topicfilter/ resource uses ${iot:ClientId} while any client id may connect: a client connecting as "+" or "#" may subscribe to everyone\'s topics.',
      hint: 'Restrict iot:Connect to the client ids you expect (AWS "Basic policy variables" page gives this advice).',
    });
  }
  const unsupported = [...problems];
  for (const st of statements) {
    const element = st.notResource ? 'NotResource' : 'Resource';
    unsupported.push(...literalVariableFindings(st, element, st.resources));
    // Unknown variables are reported here; variables merely without a value show on their entry.
    const resolve = st.substitutes ? resolverFor(values) : undefined;
    const patterns = st.resources.map((r) => compilePattern(r, resolve));
    unsupported.push(...variableFindings(st, patterns, element).filter((u) => u.code === 'VARIABLE_UNKNOWN'));
  }
  return { actions, warnings, unsupported };
}

/**
 * Rows for a results table that needs no input: connect as the context's client id, then each
 * topic and filter the policies name, with variables substituted and `*` / `?` filled in with
 * "example" / "x" so the row is a concrete request.
 */
export function defaultRequestsFor(ctx: PolicyContext, summary: PolicySummary): AuthorizationRequest[] {
  const rows: AuthorizationRequest[] = [];
  const seen = new Set<string>();
  const add = (r: AuthorizationRequest) => {
    const key = `${r.action} ${r.clientId ?? ''} ${r.topic ?? ''} ${r.topicFilter ?? ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    rows.push(r);
  };
  if (ctx.clientId !== undefined && ctx.clientId !== '') add({ action: 'iot:Connect', clientId: ctx.clientId });
  for (const entry of summary.actions) {
    if (entry.action === 'iot:Connect') continue;
    const type = RESOURCE_TYPE_OF[entry.action];
    for (const view of [...entry.allowed, ...entry.denied]) {
      if (view.except || view.unresolvedVariables.length > 0) continue;
      const arn = parseArn(view.resolved);
      if (!arn || arn.type !== type || arn.name === undefined || arn.name === '') continue;
      const name = instantiatePattern(compilePattern(arn.name), 'example', 'x');
      if (entry.action === 'iot:Subscribe') {
        add({ action: 'iot:Subscribe', topicFilter: name });
        // A filter without MQTT wildcards is also the topic its messages arrive on.
        if (!/[+#]/.test(name)) add({ action: 'iot:Receive', topic: name });
      } else {
        add({ action: entry.action, topic: name });
      }
    }
  }
  // Actions granted or denied only by `*`, NotAction or NotResource still get a row.
  for (const entry of summary.actions) {
    const example = representativeRequest(entry.action);
    const untyped = [...entry.allowed, ...entry.denied].some((v) => v.except || !/^[a-z]+$/.test(parseArn(v.resolved)?.type ?? ''));
    if (example && untyped && !rows.some((r) => r.action === entry.action)) add(example);
  }
  const order = (r: AuthorizationRequest) => IOT_ACTIONS.indexOf(r.action);
  return rows.map((r, i) => ({ r, i })).sort((a, b) => order(a.r) - order(b.r) || a.i - b.i).map((x) => x.r);
}
