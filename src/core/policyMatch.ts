// How AWS IoT matches one string of a policy against one request (docs/aws-custom-auth.md: "Policy evaluation"): IAM wildcards `*` and `?`,
// policy variables, ARNs, and the resource type each action is checked against. Shared by
// response validation (response.ts) and policy evaluation (policy.ts) so the two never disagree.
// Sources: AWS IoT developer guide pages "AWS IoT Core policy actions", "AWS IoT Core action
// resources", "Basic AWS IoT Core policy variables", "Thing policy variables".

import { ANY, ONE, wildcardMatch, WildcardToken } from './wildcard';

export type IotResourceType = 'client' | 'topic' | 'topicfilter' | 'thing' | 'rolealias';

export const IOT_RESOURCE_TYPES: readonly IotResourceType[] = ['client', 'topic', 'topicfilter', 'thing', 'rolealias'];

/**
 * The data-plane actions AWS IoT Core authorizes with these policies and the resource type each
 * one is checked against; `'*'` means the action's resource must be `"*"`.
 */
export const IOT_POLICY_ACTIONS: Readonly<Record<string, IotResourceType | '*'>> = {
  'iot:Connect': 'client',
  'iot:DeleteConnection': 'client',
  'iot:Publish': 'topic',
  'iot:Receive': 'topic',
  'iot:RetainPublish': 'topic',
  'iot:GetRetainedMessage': 'topic',
  'iot:ListRetainedMessages': '*',
  'iot:Subscribe': 'topicfilter',
  'iot:GetThingShadow': 'thing',
  'iot:UpdateThingShadow': 'thing',
  'iot:DeleteThingShadow': 'thing',
  'iot:ListNamedShadowsForThing': 'thing',
  // Jobs data plane: current names under iotjobsdata:, older pages list them under iot:.
  'iotjobsdata:DescribeJobExecution': 'thing',
  'iotjobsdata:GetPendingJobExecutions': 'thing',
  'iotjobsdata:StartNextPendingJobExecution': 'thing',
  'iotjobsdata:UpdateJobExecution': 'thing',
  'iot:DescribeJobExecution': 'thing',
  'iot:GetPendingJobExecutions': 'thing',
  'iot:StartNextPendingJobExecution': 'thing',
  'iot:UpdateJobExecution': 'thing',
  'iot:AssumeRoleWithCertificate': 'rolealias',
};

/** Service prefixes whose actions an IoT policy can grant. */
export const IOT_ACTION_SERVICES: readonly string[] = ['iot', 'iotjobsdata'];

export type PatternPart = { kind: 'text'; text: string } | { kind: 'any' } | { kind: 'one' };

export type VariableLookup =
  | { kind: 'value'; value: string }
  | { kind: 'no-value'; reason: string }
  | { kind: 'unknown'; reason: string };

export interface UnresolvedVariable {
  /** The name inside `${...}`. */
  variable: string;
  kind: 'no-value' | 'unknown';
  reason: string;
}

export interface CompiledPattern {
  source: string;
  parts: PatternPart[];
  /** The pattern with resolved variables substituted; unresolved ones stay as `${name}`. */
  display: string;
  unresolved: UnresolvedVariable[];
}

export type VariableResolver = (name: string) => VariableLookup;

/** IAM's fixed-value variables that stand for a literal wildcard or dollar sign. */
const LITERAL_VARIABLES: Readonly<Record<string, string>> = { '*': '*', '?': '?', '$': '$' };

/**
 * Splits a policy string into literal text and wildcards. With a resolver, `${name}` is replaced
 * by its value as literal text (a client id of `*` grants nothing extra); without one (a policy
 * whose Version does not substitute variables) `${name}` is literal text, as IAM treats it.
 */
export function compilePattern(source: string, resolve?: VariableResolver): CompiledPattern {
  const parts: PatternPart[] = [];
  const unresolved: UnresolvedVariable[] = [];
  let display = '';
  const pushText = (text: string) => {
    const last = parts[parts.length - 1];
    if (last && last.kind === 'text') last.text += text;
    else parts.push({ kind: 'text', text });
  };
  let i = 0;
  while (i < source.length) {
    const ch = source[i];
    if (ch === '$' && source[i + 1] === '{' && resolve) {
      const close = source.indexOf('}', i + 2);
      if (close > 0) {
        const name = source.slice(i + 2, close).trim();
        const raw = source.slice(i, close + 1);
        i = close + 1;
        if (name in LITERAL_VARIABLES) {
          pushText(LITERAL_VARIABLES[name]);
          display += raw;
          continue;
        }
        const found = resolve(name);
        if (found.kind === 'value') {
          pushText(found.value);
          display += found.value;
        } else {
          unresolved.push({ variable: name, kind: found.kind, reason: found.reason });
          display += raw;
        }
        continue;
      }
    }
    if (ch === '*') parts.push({ kind: 'any' });
    else if (ch === '?') parts.push({ kind: 'one' });
    else pushText(ch);
    display += ch;
    i++;
  }
  return { source, parts, display, unresolved };
}


/** A compiled pattern's tokens, made once per pattern (patterns are not changed after compiling). */
const tokensOf = new WeakMap<CompiledPattern, WildcardToken[]>();

function toTokens(pattern: CompiledPattern): WildcardToken[] {
  let tokens = tokensOf.get(pattern);
  if (!tokens) {
    tokens = pattern.parts.flatMap((p): WildcardToken[] => (p.kind === 'text' ? [...p.text.split('')] : [p.kind === 'any' ? ANY : ONE]));
    tokensOf.set(pattern, tokens);
  }
  return tokens;
}

/**
 * Whether the pattern matches the whole value. `*` matches any run of characters including `/`
 * and `:`, `?` exactly one. A pattern with an unresolved variable never matches.
 */
export function patternMatches(pattern: CompiledPattern, value: string, ignoreCase = false): boolean {
  if (pattern.unresolved.length > 0) return false;
  return wildcardMatch(toTokens(pattern), value, ignoreCase);
}

export function hasWildcard(pattern: CompiledPattern): boolean {
  return pattern.parts.some((p) => p.kind !== 'text');
}

/** The literal text of a pattern with each `*` replaced by `star` and each `?` by `one`. */
export function instantiatePattern(pattern: CompiledPattern, star: string, one: string): string {
  return pattern.parts.map((p) => (p.kind === 'text' ? p.text : p.kind === 'any' ? star : one)).join('');
}

/** The `${...}` variable names a string uses, leaving out the fixed `${*}`, `${?}`, `${$}`. */
export function variablesIn(source: string): string[] {
  const names: string[] = [];
  const re = /\$\{([^}]*)\}/g;
  for (let m = re.exec(source); m; m = re.exec(source)) {
    const name = m[1].trim();
    if (!(name in LITERAL_VARIABLES)) names.push(name);
  }
  return names;
}

/** Values of the connection that policy variables and condition keys read. */
export interface ConnectionValues {
  clientId?: string;
  thingName?: string;
  thingTypeName?: string;
  thingAttributes?: Readonly<Record<string, string>>;
  sourceIp?: string;
  domainName?: string;
  /** iot:ConnectAttributes: a set, read only as a condition key (not a policy variable). */
  connectAttributes?: readonly string[];
}

const THING_REASON =
  'AWS resolves thing variables only for principals attached to a thing (AttachThingPrincipal takes certificates and Cognito identities); a custom-authorizer connection has none, so AWS leaves it unresolved';
const CERTIFICATE_REASON = 'X.509 certificate variables have no value for a custom-authorizer connection, which presents no client certificate';
const THING_ATTRIBUTE = /^iot:Connection\.Thing\.Attributes\[(.+)\]$/;

/** The variable names AWS IoT documents, spelled exactly; used for "did you mean" hints. */
export const KNOWN_POLICY_VARIABLES: readonly string[] = [
  'iot:ClientId',
  'aws:SourceIp',
  'iot:DomainName',
  'iot:Connection.Thing.ThingName',
  'iot:Connection.Thing.ThingTypeName',
  'iot:Connection.Thing.Attributes[attributeName]',
  'iot:Connection.Thing.IsAttached',
];

/** How a variable name relates to custom authentication, without needing a connection. */
export type VariableClass = 'connection' | 'thing' | 'certificate' | 'unknown';

export function classifyPolicyVariable(name: string): VariableClass {
  if (name === 'iot:ClientId' || name === 'aws:SourceIp' || name === 'iot:DomainName') return 'connection';
  if (
    name === 'iot:Connection.Thing.ThingName' ||
    name === 'iot:Connection.Thing.ThingTypeName' ||
    name === 'iot:Connection.Thing.IsAttached' ||
    THING_ATTRIBUTE.test(name)
  ) {
    return 'thing';
  }
  if (name.startsWith('iot:Certificate.')) return 'certificate';
  return 'unknown';
}

/** A documented variable that differs only in letter case from `name`, for a hint. */
export function suggestVariable(name: string): string | undefined {
  const lower = name.toLowerCase();
  return KNOWN_POLICY_VARIABLES.find((v) => v.toLowerCase() === lower);
}

/**
 * The value of a policy variable (or condition key) for a connection. Names are matched exactly:
 * a variable spelled in another case is reported as unknown rather than guessed.
 */
export function lookupPolicyVariable(name: string, values: ConnectionValues): VariableLookup {
  const valueOr = (v: string | undefined, reason: string): VariableLookup =>
    v === undefined ? { kind: 'no-value', reason } : { kind: 'value', value: v };
  switch (classifyPolicyVariable(name)) {
    case 'connection':
      if (name === 'iot:ClientId') {
        return valueOr(values.clientId, 'the request has no client id (HTTPS publish carries none; an MQTT client sent none)');
      }
      if (name === 'aws:SourceIp') return valueOr(values.sourceIp, 'no source IP was given for this connection');
      return valueOr(values.domainName, 'no domain name was given for this connection');
    case 'thing': {
      if (values.thingName === undefined) return { kind: 'no-value', reason: THING_REASON };
      if (name === 'iot:Connection.Thing.ThingName') return { kind: 'value', value: values.thingName };
      if (name === 'iot:Connection.Thing.IsAttached') return { kind: 'value', value: 'true' };
      if (name === 'iot:Connection.Thing.ThingTypeName') return valueOr(values.thingTypeName, 'the thing has no thing type');
      const attribute = THING_ATTRIBUTE.exec(name)?.[1] ?? '';
      return valueOr(values.thingAttributes?.[attribute], `the thing has no attribute "${attribute}"`);
    }
    case 'certificate':
      return { kind: 'no-value', reason: CERTIFICATE_REASON };
    default: {
      const close = suggestVariable(name);
      return {
        kind: 'unknown',
        reason: close ? `unknown policy variable; names are case-sensitive: did you mean \${${close}}?` : 'not a policy variable AWS IoT documents',
      };
    }
  }
}

export interface ParsedArn {
  partition: string;
  service: string;
  region: string;
  account: string;
  /** Everything after the fifth colon, e.g. `topic/a/b`. */
  resource: string;
  /** `topic` in `topic/a/b`; undefined when the resource has no `/`. */
  type?: string;
  /** `a/b` in `topic/a/b`. */
  name?: string;
}

/**
 * Splits an ARN at its first five colons, skipping colons inside `${...}` (`${iot:ClientId}` has
 * one); undefined when it does not start with `arn:` and have five.
 */
export function parseArn(text: string): ParsedArn | undefined {
  const fields: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length && fields.length < 5; i++) {
    if (text[i] === '$' && text[i + 1] === '{') {
      const close = text.indexOf('}', i + 2);
      if (close > 0) i = close;
    } else if (text[i] === ':') {
      fields.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (fields.length < 5 || fields[0] !== 'arn') return undefined;
  const rest = text.slice(start);
  const slash = rest.indexOf('/');
  return {
    partition: fields[1],
    service: fields[2],
    region: fields[3],
    account: fields[4],
    resource: rest,
    type: slash >= 0 ? rest.slice(0, slash) : undefined,
    name: slash >= 0 ? rest.slice(slash + 1) : undefined,
  };
}

/** The documented action name for `name` in any letter case (IAM action names are case-insensitive). */
export function canonicalActionName(name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.keys(IOT_POLICY_ACTIONS).find((a) => a.toLowerCase() === lower);
}

/** The documented actions a (possibly wildcard) action pattern matches. */
export function actionsMatching(pattern: string): string[] {
  const compiled = compilePattern(pattern);
  return Object.keys(IOT_POLICY_ACTIONS).filter((a) => patternMatches(compiled, a, true));
}

/** Edit distance, for "did you mean" hints on misspelt actions. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** The closest documented action to a misspelt one, if any is close. */
export function suggestAction(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const a of Object.keys(IOT_POLICY_ACTIONS)) {
    const d = editDistance(name.toLowerCase(), a.toLowerCase());
    if (d < bestDistance) {
      best = a;
      bestDistance = d;
    }
  }
  return bestDistance <= 3 ? best : undefined;
}
