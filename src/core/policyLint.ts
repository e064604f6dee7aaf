// Lints an IoT policy document the way AWS IoT reads it: unknown elements, actions that match
// nothing, resources that are not IoT ARNs, variables a custom-authorizer connection never has,
// actions paired with the wrong resource type. The statement shape is walked with policy.ts's
// readers (statementEntries, stringList), the same ones evaluation uses. Every finding names its
// JSON path, what is wrong and how to fix it. Pure.
import { asToolReading } from './toolReading';
import { AWS_ACCOUNT_ID_PATTERN, AWS_REGION_PATTERN, IOT_POLICY_VERSION } from './constants';
import { isRecord, statementEntries, stringList } from './policy';
import {
  IOT_ACTION_SERVICES,
  IOT_POLICY_ACTIONS,
  IOT_RESOURCE_TYPES,
  IotResourceType,
  actionsMatching,
  canonicalActionName,
  classifyPolicyVariable,
  compilePattern,
  editDistance,
  hasWildcard,
  parseArn,
  suggestAction,
  suggestVariable,
  variablesIn,
} from './policyMatch';
import type { FindingSeverity, ValidationFinding } from './response';

const DOCUMENT_KEYS = ['Version', 'Id', 'Statement'] as const;
const STATEMENT_KEYS = ['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'] as const;
/** Appended to findings that make AWS reject the authorizer's whole answer. */
export const INVALID_RESPONSE = 'AWS rejects the whole response (test-invoke: InvalidResponseException; devices are refused).';

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** A known name that `key` probably meant: same letters ignoring case and `_`, or one or two edits away. */
export function didYouMean(key: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/_/g, '');
  return known.find((k) => norm(k) === norm(key)) ?? known.find((k) => editDistance(norm(k), norm(key)) <= 2);
}

export class Findings {
  readonly list: ValidationFinding[] = [];
  add(severity: FindingSeverity, code: string, path: string, message: string, hint: string): void {
    this.list.push({ code, severity, path, message, hint });
  }
  error(code: string, path: string, message: string, hint: string): void {
    this.add('error', code, path, message, hint);
  }
  warning(code: string, path: string, message: string, hint: string): void {
    this.add('warning', code, path, message, hint);
  }
  info(code: string, path: string, message: string, hint: string): void {
    this.add('info', code, path, message, hint);
  }
}

/**
 * Lints one policy document the way AWS IoT reads it. `path` prefixes every finding's path.
 * Exported for editors that check a policy file on its own.
 */
export function lintPolicyDocument(document: unknown, path = ''): ValidationFinding[] {
  const f = new Findings();
  if (!isRecord(document)) {
    f.error('POLICY_DOCUMENT_NOT_OBJECT', path, `A policy document must be a JSON object, not ${describeType(document)}.`, 'Use {"Version": "2012-10-17", "Statement": [ ... ]}.');
  } else {
    checkPolicyDocument(document, path, f);
  }
  return f.list;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Adds the findings about one policy document object to `f`; paths start at `path`. */
export function checkPolicyDocument(doc: Record<string, unknown>, path: string, f: Findings): void {
  for (const key of Object.keys(doc)) {
    if ((DOCUMENT_KEYS as readonly string[]).includes(key)) continue;
    const meant = didYouMean(key, DOCUMENT_KEYS);
    f.warning('POLICY_UNKNOWN_KEY', join(path, key), `"${key}" is not a policy document element; AWS IoT ignores or rejects it.`, meant ? `Did you mean "${meant}"? Element names are case-sensitive.` : 'A policy document has "Version" and "Statement" (and optionally "Id").');
  }
  const version = doc.Version;
  const substitutes = version === IOT_POLICY_VERSION;
  if (version === undefined) {
    f.warning('POLICY_VERSION_MISSING', join(path, 'Version'), `"Version" is missing: policy variables such as \${iot:ClientId} are then not substituted.`, `Add "Version": "${IOT_POLICY_VERSION}".`);
  } else if (!substitutes) {
    f.warning('POLICY_VERSION_UNSUPPORTED', join(path, 'Version'), `"Version" is ${JSON.stringify(version)}; AWS IoT policies use "${IOT_POLICY_VERSION}", the version that substitutes policy variables.`, `Use "Version": "${IOT_POLICY_VERSION}".`);
  }
  const raw = doc.Statement;
  const statementPath = join(path, 'Statement');
  if (raw === undefined) {
    f.error('POLICY_STATEMENT_MISSING', statementPath, `The document has no "Statement". ${INVALID_RESPONSE}`, 'Add "Statement": [ { "Effect": "Allow", "Action": "iot:Connect", "Resource": "arn:aws:iot:<region>:<account>:client/${iot:ClientId}" } ].');
    return;
  }
  if (!Array.isArray(raw) && !isRecord(raw)) {
    f.error('POLICY_STATEMENT_INVALID', statementPath, `"Statement" must be an object or a list of objects, not ${describeType(raw)}. ${INVALID_RESPONSE}`, 'Use "Statement": [ { "Effect": ..., "Action": ..., "Resource": ... } ].');
    return;
  }
  if (Array.isArray(raw) && raw.length === 0) {
    f.warning('POLICY_STATEMENT_EMPTY', statementPath, 'The document has no statements: it allows nothing.', 'Add the statements the device needs, or drop the document.');
  }
  statementEntries(raw, statementPath).forEach(({ statement, path: p }) => checkStatement(statement, p, substitutes, f));
}

function readStringList(st: Record<string, unknown>, key: string, path: string, f: Findings, code: string): { values: string[]; paths: string[] } | undefined {
  const value = st[key];
  const values = stringList(value);
  if (values) return { values, paths: typeof value === 'string' ? [join(path, key)] : values.map((_, i) => `${join(path, key)}[${i}]`) };
  f.error(code, join(path, key), `"${key}" must be a string or a non-empty list of strings, not ${describeType(value)}. ${INVALID_RESPONSE}`, `E.g. "${key}": ["${key.endsWith('Action') ? 'iot:Publish' : 'arn:aws:iot:<region>:<account>:topic/a/b'}"].`);
  return undefined;
}

function checkStatement(st: unknown, path: string, substitutes: boolean, f: Findings): void {
  if (!isRecord(st)) {
    f.error('POLICY_STATEMENT_INVALID', path, `A statement must be an object, not ${describeType(st)}. ${INVALID_RESPONSE}`, 'Use { "Effect": "Allow", "Action": ..., "Resource": ... }.');
    return;
  }
  for (const key of Object.keys(st)) {
    if ((STATEMENT_KEYS as readonly string[]).includes(key)) continue;
    if (key === 'Principal' || key === 'NotPrincipal') {
      f.warning('STATEMENT_UNKNOWN_KEY', join(path, key), `"${key}" has no meaning in an IoT policy returned by an authorizer: the policy applies to the connection it is returned for.`, `Remove "${key}".`);
      continue;
    }
    const meant = didYouMean(key, STATEMENT_KEYS);
    f.warning('STATEMENT_UNKNOWN_KEY', join(path, key), `"${key}" is not a statement element; AWS IoT ignores or rejects it.`, meant ? `Did you mean "${meant}"? Element names are case-sensitive.` : `A statement has ${STATEMENT_KEYS.join(', ')}.`);
  }
  const effect = st.Effect;
  if (effect === undefined) {
    f.error('STATEMENT_EFFECT_MISSING', join(path, 'Effect'), `The statement has no "Effect". ${INVALID_RESPONSE}`, 'Add "Effect": "Allow" or "Deny".');
  } else if (effect !== 'Allow' && effect !== 'Deny') {
    const fixed = typeof effect === 'string' && /^(allow|deny)$/i.test(effect) ? `"${effect[0].toUpperCase()}${effect.slice(1).toLowerCase()}"` : undefined;
    f.error('STATEMENT_EFFECT_INVALID', join(path, 'Effect'), `"Effect" must be "Allow" or "Deny", not ${describeType(effect)}. ${INVALID_RESPONSE}`, fixed ? asToolReading(`Use ${fixed}: the value is case-sensitive.`) : 'Use "Allow" or "Deny".');
  }
  const actionKey = pickOne(st, 'Action', 'NotAction', path, f, 'STATEMENT_ACTION', 'iot:Publish');
  const resourceKey = pickOne(st, 'Resource', 'NotResource', path, f, 'STATEMENT_RESOURCE', 'arn:aws:iot:<region>:<account>:topic/a/b');
  const actions = actionKey ? readStringList(st, actionKey, path, f, 'STATEMENT_ACTION_INVALID') : undefined;
  const resources = resourceKey ? readStringList(st, resourceKey, path, f, 'STATEMENT_RESOURCE_INVALID') : undefined;
  actions?.values.forEach((a, i) => checkAction(a, actions.paths[i], f));
  resources?.values.forEach((r, i) => checkResource(r, resources.paths[i], substitutes, f));
  if (actions && resources && actionKey === 'Action' && resourceKey === 'Resource') {
    checkActionResourceTypes(actions.values, resources.values, join(path, 'Resource'), f);
  }
  if (st.Condition !== undefined) {
    const condition = st.Condition;
    if (!isRecord(condition) || !Object.values(condition).every(isRecord)) {
      f.error('STATEMENT_CONDITION_INVALID', join(path, 'Condition'), `"Condition" must be an object of operator objects, e.g. {"StringEquals": {"iot:ClientId": "device1"}}. ${INVALID_RESPONSE}`, 'Fix the Condition block, or remove it.');
    } else if (Object.values(condition).some((block) => isRecord(block) && 'iot:ClientId' in block)) {
      f.info('CONDITION_CLIENT_ID_KEY', join(path, 'Condition'), 'The condition uses iot:ClientId as a condition key; this toolkit evaluates it with the connection\'s client id.',
        asToolReading('AWS documents ${iot:ClientId} as a policy variable; to be safe, put it in the Resource (client/${iot:ClientId}) instead.'));
    }
  }
}

/** Exactly one of `key` and `notKey`; returns the one present. */
function pickOne(st: Record<string, unknown>, key: string, notKey: string, path: string, f: Findings, code: string, example: string): string | undefined {
  const has = st[key] !== undefined;
  const hasNot = st[notKey] !== undefined;
  if (has && hasNot) {
    f.error(`${code}_CONFLICT`, join(path, notKey), `A statement may have "${key}" or "${notKey}", not both. ${INVALID_RESPONSE}`, `Keep one; move the other into its own statement.`);
    return undefined;
  }
  if (!has && !hasNot) {
    f.error(`${code}_MISSING`, join(path, key), `The statement has no "${key}". ${INVALID_RESPONSE}`, `Add "${key}": e.g. "${example}".`);
    return undefined;
  }
  return has ? key : notKey;
}

function checkAction(action: string, path: string, f: Findings): void {
  if (action === '*') return;
  const colon = action.indexOf(':');
  if (colon < 0) {
    const suggestion = suggestAction(`iot:${action}`);
    f.warning('ACTION_UNKNOWN', path, `Action ${JSON.stringify(action)} has no service prefix, so it matches no IoT action.`, suggestion ? `Did you mean "${suggestion}"?` : 'Write actions as "iot:<Action>", e.g. "iot:Publish".');
    return;
  }
  const service = action.slice(0, colon).toLowerCase();
  if (!hasWildcard(compilePattern(action.slice(0, colon))) && !IOT_ACTION_SERVICES.includes(service)) {
    f.warning('ACTION_NOT_IOT', path, `${JSON.stringify(action)} is not an AWS IoT action: an IoT connection never performs it, so it grants nothing here.`, 'IoT policies use iot: actions such as iot:Connect, iot:Publish, iot:Subscribe, iot:Receive. Other services are authorized by IAM, not by this response.');
    return;
  }
  if (hasWildcard(compilePattern(action))) {
    if (actionsMatching(action).length === 0) {
      f.warning('ACTION_UNKNOWN', path, `${JSON.stringify(action)} matches no AWS IoT action.`, `Known actions: ${Object.keys(IOT_POLICY_ACTIONS).filter((a) => a.startsWith('iot:')).slice(0, 6).join(', ')}, …`);
    }
    return;
  }
  if (!canonicalActionName(action)) {
    const suggestion = suggestAction(action);
    f.warning('ACTION_UNKNOWN', path, `${JSON.stringify(action)} is not an AWS IoT action; it matches nothing.`, suggestion ? `Did you mean "${suggestion}"?` : 'Check the action name against the AWS IoT Core policy actions list.');
  }
}

function checkResource(resource: string, path: string, substitutes: boolean, f: Findings): void {
  if (resource === '*') return;
  const variables = variablesIn(resource);
  for (const name of variables) {
    const kind = classifyPolicyVariable(name);
    if (kind === 'unknown') {
      const close = suggestVariable(name);
      f.warning('VARIABLE_UNKNOWN', path, `\${${name}} is not a policy variable AWS IoT documents; this resource matches nothing.`, close ? `Did you mean \${${close}}? Variable names are case-sensitive.` : 'Use ${iot:ClientId}, or build the resource name in the Lambda.');
    } else if (kind !== 'connection') {
      f.warning('VARIABLE_NOT_FOR_CUSTOM_AUTH', path,
        kind === 'thing'
          ? `\${${name}} resolves only for principals attached to a thing (certificates, Cognito identities); a custom-authorizer connection has none, so this resource matches nothing.`
          : `\${${name}} is an X.509 certificate variable; a custom-authorizer connection presents no client certificate, so this resource matches nothing.`,
        'Use ${iot:ClientId}, or write the thing name into the policy in the Lambda.');
    }
  }
  if (variables.length > 0 && !substitutes) {
    f.warning('VARIABLE_WITHOUT_VERSION', path, `This resource uses \${...} but the document's Version is not "${IOT_POLICY_VERSION}", so the variable is matched as literal text.`, `Set "Version": "${IOT_POLICY_VERSION}".`);
  }
  const arn = parseArn(resource);
  if (!arn) {
    const looksLikeName = /^(client|topic|topicfilter|thing)\//.test(resource);
    f.warning('RESOURCE_NOT_ARN', path, `${JSON.stringify(resource)} is not an ARN of the form arn:aws:iot:<region>:<account>:<type>/<name>; it matches nothing.`,
      looksLikeName ? `Use "arn:aws:iot:<region>:<account>:${resource}".` : 'Write the full ARN, e.g. "arn:aws:iot:<region>:<account>:topic/a/b", or "*".');
    return;
  }
  const wild = (s: string) => hasWildcard(compilePattern(s)) || s.includes('${');
  if (!wild(arn.service) && arn.service !== 'iot') {
    f.warning('RESOURCE_NOT_IOT', path, `${JSON.stringify(resource)} names the service "${arn.service}", not "iot": it matches no IoT resource.`, `Use "arn:${arn.partition}:iot:${arn.region}:${arn.account}:${arn.resource}".`);
    return;
  }
  const placeholders: string[] = [];
  if (!wild(arn.region) && !AWS_REGION_PATTERN.test(arn.region)) placeholders.push(`region "${arn.region}"`);
  if (!wild(arn.account) && !AWS_ACCOUNT_ID_PATTERN.test(arn.account)) placeholders.push(`account "${arn.account}"`);
  if (placeholders.length > 0) {
    f.warning('RESOURCE_PLACEHOLDER', path, `${JSON.stringify(resource)} has ${placeholders.join(' and ')}, which no real request carries; it matches nothing.`, 'Put the real region (e.g. eu-west-1) and 12-digit account id, or "*" for either.');
  }
  const typeText = arn.type ?? arn.resource;
  if (!wild(typeText) && !(IOT_RESOURCE_TYPES as readonly string[]).includes(typeText)) {
    const meant = didYouMean(typeText, IOT_RESOURCE_TYPES);
    f.warning('RESOURCE_UNKNOWN_TYPE', path, `"${typeText}" is not an AWS IoT resource type (client, topic, topicfilter, thing, rolealias); this resource matches nothing.`, meant ? `Did you mean "${meant}/"?` : 'Use client/<clientId>, topic/<topic> or topicfilter/<filter>.');
    return;
  }
  const name = arn.name ?? '';
  if (/[+#]/.test(name) && (arn.type === 'topic' || arn.type === 'client')) {
    const star = name.replace(/#$/, '*').replace(/\+/g, '*');
    f.warning('RESOURCE_MQTT_WILDCARD', path, `'+' and '#' are literal characters in a policy: ${arn.type}/${name} matches only the ${arn.type === 'topic' ? 'topic' : 'client id'} named exactly "${name}".`, `Use the policy wildcard '*': ${arn.type}/${star}.`);
  } else if (/[+#]/.test(name) && arn.type === 'topicfilter') {
    f.info('RESOURCE_MQTT_WILDCARD', path, `topicfilter/${name} allows subscribing to the filter "${name}" exactly ('+' and '#' are literal here), not to narrower filters.`, `To allow any filter under it too, add topicfilter/${name.replace(/[+#].*$/, '*')}.`);
  }
}

/** Warns when an action in a statement can never match any of its resources because the types differ. */
function checkActionResourceTypes(actions: readonly string[], resources: readonly string[], path: string, f: Findings): void {
  const typesOfResources = new Set<string>();
  for (const r of resources) {
    const arn = parseArn(r);
    if (r === '*' || !arn) return; // '*' covers every type; non-ARNs are reported on their own.
    const typeText = arn.type ?? arn.resource;
    if (hasWildcard(compilePattern(typeText)) || typeText.includes('${')) return;
    typesOfResources.add(typeText);
  }
  const neededBy = new Map<string, IotResourceType | '*'>();
  for (const a of actions) {
    if (hasWildcard(compilePattern(a))) return; // `iot:*` and friends span several types by design.
    const canonical = canonicalActionName(a);
    if (canonical) neededBy.set(canonical, IOT_POLICY_ACTIONS[canonical]);
  }
  if (neededBy.size === 0) return; // unknown actions are reported on their own.
  const mismatched = [...neededBy].filter(([, type]) => type !== '*' && !typesOfResources.has(type));
  for (const [action, type] of mismatched) {
    const sample = resources.map((r) => parseArn(r)).find((arn) => arn?.name !== undefined);
    const rewritten = sample ? `arn:${sample.partition}:iot:${sample.region}:${sample.account}:${type}/${sample.name}` : `arn:aws:iot:<region>:<account>:${type}/<name>`;
    f.warning('RESOURCE_TYPE_MISMATCH', path,
      `${action} is checked against ${type}/ ARNs, but this statement names only ${[...typesOfResources].map((t) => `${t}/`).join(', ')} resources: it never matches ${action}.`,
      `Use ${rewritten}${neededBy.size > 1 ? `, or move ${action} to its own statement` : ''}.`);
  }
  if (mismatched.length > 0) return;
  const used = new Set([...neededBy.values()]);
  for (const type of typesOfResources) {
    if (!used.has(type as IotResourceType)) {
      f.warning('RESOURCE_TYPE_MISMATCH', path, `This statement names ${type}/ resources, but none of its actions (${[...neededBy.keys()].join(', ')}) is checked against ${type}/ ARNs: those resources never match.`, 'Pair each action with its resource type: iot:Connect → client/, iot:Publish/Receive/RetainPublish → topic/, iot:Subscribe → topicfilter/.');
    }
  }
}
