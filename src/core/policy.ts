// Evaluates the policies an authorizer returned against what a device tries to do (docs/aws-custom-auth.md: "Policy evaluation"): which
// statement allows or denies `iot:Publish` to `a/b`. The plain summary of what is allowed is policySummary.ts.
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
import { retainNeedsPublish } from './retainPublish';
import { DEFAULT_ARN_PARTITION, IOT_POLICY_VERSION } from './constants';
import { UserError } from './errors';
import { cidrContains, parseCidr, parseIp } from './cidr';
import {
  CompiledPattern,
  ConnectionValues,
  compilePattern,
  instantiatePattern,
  lookupPolicyVariable,
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

/** The account and the connection a policy is evaluated for (the connection's values: ConnectionValues). */
export interface PolicyContext extends ConnectionValues {
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
  | 'CONDITION_KEY_NO_VALUE'
  | 'CONDITION_VALUE_MALFORMED';

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

export const RESOURCE_TYPE_OF: Readonly<Record<IotAction, 'client' | 'topic' | 'topicfilter'>> = {
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

/** A JSON object (not null, not a list). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string or a non-empty list of strings, as Action/Resource hold; undefined otherwise. */
export function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) return value as string[];
  return undefined;
}

/** A document's "Statement" (one object or a list) as entries with their JSON paths under `statementPath`. */
export function statementEntries(raw: unknown, statementPath: string): { statement: unknown; path: string }[] {
  if (!Array.isArray(raw)) return [{ statement: raw, path: statementPath }];
  return raw.map((statement: unknown, i) => ({ statement, path: `${statementPath}[${i}]` }));
}

/** The well-formed statements of the documents (objects, or JSON strings as test-invoke returns them). */
export function policyStatements(documents: ReadonlyArray<PolicyDocument | string>): ReadStatement[] {
  return readStatements(documents, 'policyDocuments').statements;
}

/** Parses documents (objects, or JSON strings as test-invoke returns them) into statements. */
export function readStatements(
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
    statementEntries(raw, `${docPath}.Statement`).forEach(({ statement: st, path }, statementIndex) => {
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

export function connectionValues(ctx: PolicyContext, request?: AuthorizationRequest): ConnectionValues {
  // A CONNECT's client id is the connection's client id: the two cannot differ, so the request wins.
  const clientId = request?.action === 'iot:Connect' ? request.clientId ?? ctx.clientId : ctx.clientId;
  return {
    clientId,
    thingName: ctx.thingName,
    thingTypeName: ctx.thingTypeName,
    thingAttributes: ctx.thingAttributes,
    sourceIp: ctx.sourceIp,
    domainName: ctx.domainName,
    connectAttributes: ctx.connectAttributes,
  };
}

export function resolverFor(values: ConnectionValues): VariableResolver {
  return (name) => lookupPolicyVariable(name, values);
}

/** The first Action/NotAction entry that matches (or, for NotAction, undefined when one matches). */
export function matchAction(st: ReadStatement, action: string): { applies: boolean; matched: string } {
  const hit = st.actions.find((a) => patternMatches(compilePattern(a), action, true));
  if (st.notAction) return { applies: hit === undefined, matched: `NotAction ${JSON.stringify(st.actions)}` };
  return { applies: hit !== undefined, matched: hit ?? '' };
}

export function variableFindings(st: ReadStatement, patterns: readonly CompiledPattern[], element: string): UnsupportedFinding[] {
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

export function literalVariableFindings(st: ReadStatement, element: string, values: readonly string[]): UnsupportedFinding[] {
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

const IP_OPERATORS: Readonly<Record<string, { negate: boolean }>> = {
  IpAddress: { negate: false },
  NotIpAddress: { negate: true },
};

/** The multi-valued condition key AWS IoT documents for MQTT CONNECT flags. */
const CONNECT_ATTRIBUTES = 'iot:ConnectAttributes';

type SetQualifier = 'ForAllValues' | 'ForAnyValue' | undefined;

function splitOperator(operator: string): { qualifier: SetQualifier; base: string } {
  const m = /^(ForAllValues|ForAnyValue):(.+)$/.exec(operator);
  return m ? { qualifier: m[1] as SetQualifier, base: m[2] } : { qualifier: undefined, base: operator };
}

/** The values a condition key has for this connection: one for single-valued keys, a set for iot:ConnectAttributes. */
function conditionKeyValues(key: string, values: ConnectionValues): { kind: 'values'; values: string[] } | { kind: 'unknown' | 'no-value'; reason: string } {
  if (key === CONNECT_ATTRIBUTES) {
    if (values.connectAttributes === undefined) {
      return {
        kind: 'no-value',
        reason: 'the test event does not state the CONNECT flags; add "cleanSession" (and "will" when the device sends one) to "mqtt"',
      };
    }
    return { kind: 'values', values: [...values.connectAttributes] };
  }
  const actual = lookupPolicyVariable(key, values);
  return actual.kind === 'value' ? { kind: 'values', values: [actual.value] } : actual;
}

/**
 * Three-valued evaluation of a Condition block: operators AND together, keys within an operator
 * AND together, values of a key OR together. Supported: the string operators and Bool above, and
 * IpAddress/NotIpAddress on aws:SourceIp, on keys with a value for this connection; with
 * `ForAllValues:`/`ForAnyValue:` for the multi-valued iot:ConnectAttributes. `...IfExists`,
 * Numeric, Date, Arn and Null operators are reported and count as unknown.
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
    const { qualifier, base } = splitOperator(operator);
    const stringOp = STRING_OPERATORS[base];
    const ipOp = IP_OPERATORS[base];
    if ((!stringOp && !ipOp) || !isRecord(block)) {
      report('CONDITION_UNSUPPORTED', `Condition operator "${operator}" is not evaluated by this tool`);
      and('unknown');
      continue;
    }
    for (const [key, expected] of Object.entries(block)) {
      if (ipOp && key !== 'aws:SourceIp') {
        report('CONDITION_UNSUPPORTED', `${operator} is evaluated only on aws:SourceIp, not on "${key}"`);
        and('unknown');
        continue;
      }
      if (key === CONNECT_ATTRIBUTES && qualifier === undefined) {
        report(
          'CONDITION_UNSUPPORTED',
          `${CONNECT_ATTRIBUTES} holds a set of values: write ForAllValues:${base} or ForAnyValue:${base}, as AWS's examples do, not ${operator}`,
        );
        and('unknown');
        continue;
      }
      const actual = conditionKeyValues(key, values);
      if (actual.kind !== 'values') {
        report(
          actual.kind === 'unknown' ? 'CONDITION_UNSUPPORTED' : 'CONDITION_KEY_NO_VALUE',
          `Condition key "${key}" under ${operator} cannot be evaluated (${actual.reason})`,
        );
        and('unknown');
        continue;
      }
      const list = (Array.isArray(expected) ? expected : [expected]).map((v) => String(v));
      let test: (value: string) => Tri;
      if (ipOp) {
        const blocks = list.map((v) => ({ text: v, block: parseCidr(v) }));
        const malformed = blocks.filter((b) => b.block === undefined).map((b) => b.text);
        if (malformed.length > 0) {
          report(
            'CONDITION_VALUE_MALFORMED',
            `${operator}.${key} holds ${malformed.map((m) => JSON.stringify(m)).join(', ')}, which is not an IP address or CIDR block ` +
              '(write "203.0.113.0/24" or "2001:db8::/32")',
          );
        }
        test = (value) => {
          const address = parseIp(value);
          const inside = address !== undefined && blocks.some((b) => b.block !== undefined && cidrContains(b.block, address));
          const undecided = !inside && malformed.length > 0;
          return undecided ? 'unknown' : ipOp.negate ? !inside : inside;
        };
      } else {
        const op = stringOp;
        const patterns = list.map((v) => compilePattern(v, st.substitutes ? resolve : undefined));
        if (patterns.some((p) => p.unresolved.length > 0)) {
          report('CONDITION_UNSUPPORTED', `A value under ${operator}.${key} uses a variable without a value`);
          and('unknown');
          continue;
        }
        test = (value) => {
          const any = patterns.some((p) =>
            op.like ? patternMatches(p, value, op.ignoreCase) : equalsText(instantiatePattern(p, '*', '?'), value, op.ignoreCase),
          );
          return op.negate ? !any : any;
        };
      }
      and(overValues(qualifier, actual.values, test));
    }
  }
  return result;
}

/**
 * Applies a per-value test to a key's values: ForAllValues needs every value to pass (true for no
 * values), ForAnyValue needs one (false for none); a single-valued key has exactly one value.
 */
function overValues(qualifier: SetQualifier, keyValues: readonly string[], test: (value: string) => Tri): Tri {
  const results = keyValues.map(test);
  if (qualifier === 'ForAnyValue') return results.includes(true) ? true : results.includes('unknown') ? 'unknown' : false;
  if (qualifier === 'ForAllValues') return results.includes(false) ? false : results.includes('unknown') ? 'unknown' : true;
  return results[0] ?? 'unknown';
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
