// A plain summary of what the policies an authorizer returned allow and deny, per action, with
// the traps that make a policy behave differently from what its author meant, and the rows a
// results table shows without input. Reads statements with policy.ts's parser and decides with
// its evaluator. Pure.
import { DEFAULT_ARN_PARTITION } from './constants';
import {
  AuthorizationRequest,
  connectionValues,
  evaluatePolicies,
  IOT_ACTIONS,
  IotAction,
  literalVariableFindings,
  matchAction,
  PolicyContext,
  PolicyDocument,
  ReadStatement,
  readStatements,
  RESOURCE_TYPE_OF,
  resolverFor,
  UnsupportedFinding,
  variableFindings,
} from './policy';
import { compilePattern, ConnectionValues, instantiatePattern, parseArn, patternMatches } from './policyMatch';
import { representativeRequest } from './policyRows';

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
