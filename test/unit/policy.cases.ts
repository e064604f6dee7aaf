// The evaluation table for policy.test.ts: one row per behaviour of docs/aws-custom-auth.md "Policy evaluation", each with the outcome AWS
// IoT gives. Kept apart from the runner so rows read as a specification.
import type { AuthorizationRequest, PolicyContext, PolicyDocument, PolicyStatement } from '../../src/core/policy';

export const REGION = 'eu-west-1';
export const ACCOUNT = '123456789012';
export const ARN = `arn:aws:iot:${REGION}:${ACCOUNT}:`;
/** An MQTT connection. */
export const MQTT: PolicyContext = { region: REGION, accountId: ACCOUNT, clientId: 'device1' };
/** An HTTPS publish: no client id. */
export const HTTP: PolicyContext = { region: REGION, accountId: ACCOUNT };

export function doc(...statements: PolicyStatement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}
export function allow(action: string | string[], resource: string | string[], extra: Partial<PolicyStatement> = {}): PolicyStatement {
  return { Effect: 'Allow', Action: action, Resource: resource, ...extra };
}
export function deny(action: string | string[], resource: string | string[], extra: Partial<PolicyStatement> = {}): PolicyStatement {
  return { Effect: 'Deny', Action: action, Resource: resource, ...extra };
}

export const publish = (topic: string): AuthorizationRequest => ({ action: 'iot:Publish', topic });
export const subscribe = (topicFilter: string): AuthorizationRequest => ({ action: 'iot:Subscribe', topicFilter });
export const receive = (topic: string): AuthorizationRequest => ({ action: 'iot:Receive', topic });
export const connect = (clientId?: string): AuthorizationRequest => ({ action: 'iot:Connect', clientId });

export interface EvaluationCase {
  name: string;
  documents: Array<PolicyDocument | string>;
  request: AuthorizationRequest;
  ctx?: PolicyContext;
  allowed: boolean;
  reason: 'explicit-deny' | 'allowed' | 'implicit-deny';
  /** [documentIndex, statementIndex] of the deciding statement. */
  decidedBy?: [number, number];
  matchedResource?: string;
  /** Codes of `unsupported`, in order; [] asserts none. */
  unsupported?: string[];
  certain?: boolean;
}

const EVERYTHING = allow('iot:*', '*');

export const EVALUATION_CASES: EvaluationCase[] = [
  // Exact matches and the default deny
  { name: 'exact topic ARN allows publishing to that topic', documents: [doc(allow('iot:Publish', `${ARN}topic/a/b`))], request: publish('a/b'), allowed: true, reason: 'allowed', decidedBy: [0, 0], matchedResource: `${ARN}topic/a/b`, unsupported: [], certain: true },
  { name: 'exact topic ARN does not allow a sibling topic', documents: [doc(allow('iot:Publish', `${ARN}topic/a/b`))], request: publish('a/c'), allowed: false, reason: 'implicit-deny', unsupported: [] },
  { name: 'no documents at all is the default deny', documents: [], request: connect('device1'), allowed: false, reason: 'implicit-deny', certain: true },
  { name: 'an action no statement names is the default deny', documents: [doc(allow('iot:Publish', '*'))], request: subscribe('a/b'), allowed: false, reason: 'implicit-deny' },
  { name: 'resource ARNs are case-sensitive', documents: [doc(allow('iot:Publish', `${ARN}topic/Room`))], request: publish('room'), allowed: false, reason: 'implicit-deny' },
  { name: 'an ARN for another region does not match', documents: [doc(allow('iot:Publish', `arn:aws:iot:us-east-1:${ACCOUNT}:topic/a`))], request: publish('a'), allowed: false, reason: 'implicit-deny' },
  { name: 'an ARN for another account does not match', documents: [doc(allow('iot:Publish', 'arn:aws:iot:eu-west-1:999999999999:topic/a'))], request: publish('a'), allowed: false, reason: 'implicit-deny' },

  // `*` and `?`
  { name: '* matches a run of characters including /', documents: [doc(allow('iot:Publish', `${ARN}topic/a/*`))], request: publish('a/b/c/d'), allowed: true, reason: 'allowed' },
  { name: '* matches across the : of the ARN (region and account)', documents: [doc(allow('iot:Publish', 'arn:aws:iot:*:topic/x'))], request: publish('x'), allowed: true, reason: 'allowed' },
  { name: '* keeps the literal prefix: topic/a/* does not allow "ab"', documents: [doc(allow('iot:Publish', `${ARN}topic/a/*`))], request: publish('ab'), allowed: false, reason: 'implicit-deny' },
  { name: '* alone as the resource allows any topic', documents: [doc(allow('iot:Publish', '*'))], request: publish('any/thing'), allowed: true, reason: 'allowed', matchedResource: '*' },
  { name: '? matches exactly one character', documents: [doc(allow('iot:Publish', `${ARN}topic/room?`))], request: publish('room1'), allowed: true, reason: 'allowed' },
  { name: '? does not match two characters', documents: [doc(allow('iot:Publish', `${ARN}topic/room?`))], request: publish('room12'), allowed: false, reason: 'implicit-deny' },
  { name: '? does not match zero characters', documents: [doc(allow('iot:Publish', `${ARN}topic/room?`))], request: publish('room'), allowed: false, reason: 'implicit-deny' },

  // MQTT wildcards are literal
  { name: 'topicfilter/a/# allows subscribing to the filter a/# itself', documents: [doc(allow('iot:Subscribe', `${ARN}topicfilter/a/#`))], request: subscribe('a/#'), allowed: true, reason: 'allowed' },
  { name: 'topicfilter/a/# does not allow subscribing to a/b', documents: [doc(allow('iot:Subscribe', `${ARN}topicfilter/a/#`))], request: subscribe('a/b'), allowed: false, reason: 'implicit-deny' },
  { name: 'topicfilter/a/+/c allows a/+/c but not a/b/c', documents: [doc(allow('iot:Subscribe', `${ARN}topicfilter/a/+/c`))], request: subscribe('a/b/c'), allowed: false, reason: 'implicit-deny' },
  { name: 'topicfilter/a/+/c allows the filter a/+/c', documents: [doc(allow('iot:Subscribe', `${ARN}topicfilter/a/+/c`))], request: subscribe('a/+/c'), allowed: true, reason: 'allowed' },
  { name: 'topic/a/# does not allow publishing to a/b', documents: [doc(allow('iot:Publish', `${ARN}topic/a/#`))], request: publish('a/b'), allowed: false, reason: 'implicit-deny' },

  // Resource types per action
  { name: 'iot:Subscribe on a topic/ ARN never matches (needs topicfilter/)', documents: [doc(allow('iot:Subscribe', `${ARN}topic/a/b`))], request: subscribe('a/b'), allowed: false, reason: 'implicit-deny' },
  { name: 'iot:Connect on a topic/ ARN never matches (needs client/)', documents: [doc(allow('iot:Connect', `${ARN}topic/device1`))], request: connect('device1'), allowed: false, reason: 'implicit-deny' },
  { name: 'iot:Receive is checked against topic/ ARNs', documents: [doc(allow('iot:Receive', `${ARN}topic/a/b`))], request: receive('a/b'), allowed: true, reason: 'allowed' },
  { name: 'iot:RetainPublish is checked against topic/ ARNs', documents: [doc(allow('iot:RetainPublish', `${ARN}topic/state`), allow('iot:Publish', `${ARN}topic/state`))], request: { action: 'iot:RetainPublish', topic: 'state' }, allowed: true, reason: 'allowed' },
  { name: 'iot:RetainPublish without iot:Publish on the topic is refused: a retained publish is a publish', documents: [doc(allow('iot:RetainPublish', `${ARN}topic/state`))], request: { action: 'iot:RetainPublish', topic: 'state' }, allowed: false, reason: 'implicit-deny' },
  { name: 'iot:Publish is not granted by an iot:RetainPublish statement', documents: [doc(allow('iot:RetainPublish', `${ARN}topic/state`))], request: publish('state'), allowed: false, reason: 'implicit-deny' },

  // Action names
  { name: 'iot:* allows iot:Subscribe', documents: [doc(allow('iot:*', `${ARN}topicfilter/x`))], request: subscribe('x'), allowed: true, reason: 'allowed' },
  { name: 'iot:Pub* allows iot:Publish', documents: [doc(allow('iot:Pub*', '*'))], request: publish('x'), allowed: true, reason: 'allowed' },
  { name: 'iot:Pub* does not allow iot:Subscribe', documents: [doc(allow('iot:Pub*', '*'))], request: subscribe('x'), allowed: false, reason: 'implicit-deny' },
  { name: 'action names are case-insensitive', documents: [doc(allow('IOT:publish', '*'))], request: publish('x'), allowed: true, reason: 'allowed' },
  { name: '? in an action name matches one character', documents: [doc(allow('iot:?eceive', '*'))], request: receive('x'), allowed: true, reason: 'allowed' },
  { name: 'the bare * action allows iot:Connect', documents: [doc(allow('*', '*'))], request: connect('device1'), allowed: true, reason: 'allowed' },
  { name: 'a non-IoT action grants nothing', documents: [doc(allow('s3:GetObject', '*'))], request: publish('x'), allowed: false, reason: 'implicit-deny' },

  // List forms
  { name: 'Action and Resource lists: the second resource matches', documents: [doc(allow(['iot:Subscribe', 'iot:Publish'], [`${ARN}topic/x`, `${ARN}topic/y`]))], request: publish('y'), allowed: true, reason: 'allowed', matchedResource: `${ARN}topic/y` },
  { name: 'Statement given as a single object, not a list', documents: [{ Version: '2012-10-17', Statement: allow('iot:Publish', `${ARN}topic/x`) }], request: publish('x'), allowed: true, reason: 'allowed', decidedBy: [0, 0] },
  { name: 'the deciding statement is reported by document and statement index', documents: [doc(allow('iot:Connect', `${ARN}client/device1`)), doc(allow('iot:Publish', `${ARN}topic/z`), allow('iot:Subscribe', `${ARN}topicfilter/z`))], request: subscribe('z'), allowed: true, reason: 'allowed', decidedBy: [1, 1] },

  // Deny beats Allow
  { name: 'a Deny in a later document beats an Allow-everything', documents: [doc(EVERYTHING), doc(deny('iot:Publish', `${ARN}topic/secret`))], request: publish('secret'), allowed: false, reason: 'explicit-deny', decidedBy: [1, 0] },
  { name: 'a Deny in an earlier document beats a later exact Allow', documents: [doc(deny('iot:*', `${ARN}topic/secret/*`)), doc(allow('iot:Publish', `${ARN}topic/secret/x`))], request: publish('secret/x'), allowed: false, reason: 'explicit-deny', decidedBy: [0, 0] },
  { name: 'a Deny for another topic does not block this one', documents: [doc(EVERYTHING, deny('iot:Publish', `${ARN}topic/secret`))], request: publish('open'), allowed: true, reason: 'allowed', decidedBy: [0, 0] },
  { name: 'a Deny on iot:Publish does not block iot:Receive on the same topic', documents: [doc(EVERYTHING, deny('iot:Publish', `${ARN}topic/secret`))], request: receive('secret'), allowed: true, reason: 'allowed' },

  // NotAction / NotResource
  { name: 'Allow NotAction iot:Publish allows iot:Subscribe', documents: [doc({ Effect: 'Allow', NotAction: 'iot:Publish', Resource: '*' })], request: subscribe('x'), allowed: true, reason: 'allowed' },
  { name: 'Allow NotAction iot:Publish does not allow iot:Publish', documents: [doc({ Effect: 'Allow', NotAction: 'iot:Publish', Resource: '*' })], request: publish('x'), allowed: false, reason: 'implicit-deny' },
  { name: 'Allow NotResource allows topics outside it', documents: [doc({ Effect: 'Allow', Action: 'iot:Publish', NotResource: `${ARN}topic/admin/*` })], request: publish('a/b'), allowed: true, reason: 'allowed' },
  { name: 'Allow NotResource does not allow topics inside it', documents: [doc({ Effect: 'Allow', Action: 'iot:Publish', NotResource: `${ARN}topic/admin/*` })], request: publish('admin/x'), allowed: false, reason: 'implicit-deny' },
  { name: 'Deny NotResource denies everything outside the listed topics', documents: [doc(EVERYTHING, { Effect: 'Deny', Action: 'iot:Publish', NotResource: `${ARN}topic/public/*` })], request: publish('private/x'), allowed: false, reason: 'explicit-deny', decidedBy: [0, 1] },
  { name: 'Deny NotResource leaves the listed topics alone', documents: [doc(EVERYTHING, { Effect: 'Deny', Action: 'iot:Publish', NotResource: `${ARN}topic/public/*` })], request: publish('public/x'), allowed: true, reason: 'allowed' },
  { name: 'Deny NotAction denies every other action', documents: [doc(EVERYTHING, { Effect: 'Deny', NotAction: ['iot:Connect', 'iot:Publish'], Resource: '*' })], request: subscribe('a'), allowed: false, reason: 'explicit-deny' },

  // Policy variables
  { name: '${iot:ClientId} lets a client connect as itself', documents: [doc(allow('iot:Connect', `${ARN}client/\${iot:ClientId}`))], request: connect('device1'), allowed: true, reason: 'allowed', matchedResource: `${ARN}client/device1`, unsupported: [] },
  { name: 'client/${iot:ClientId} admits any client id: on CONNECT the variable is the connecting id', documents: [doc(allow('iot:Connect', `${ARN}client/\${iot:ClientId}`))], request: connect('device2'), allowed: true, reason: 'allowed', matchedResource: `${ARN}client/device2` },
  { name: 'after CONNECT, ${iot:ClientId} is the connection\'s id, not another one', documents: [doc(allow('iot:Publish', `${ARN}topic/t/\${iot:ClientId}`))], request: publish('t/device2'), allowed: false, reason: 'implicit-deny' },
  { name: '${iot:ClientId} is substituted inside a topic', documents: [doc(allow('iot:Publish', `${ARN}topic/telemetry/\${iot:ClientId}`))], request: publish('telemetry/device1'), allowed: true, reason: 'allowed' },
  { name: '${iot:ClientId} falls back to the connecting client id when the context has none', ctx: HTTP, documents: [doc(allow('iot:Connect', `${ARN}client/\${iot:ClientId}`))], request: connect('device7'), allowed: true, reason: 'allowed' },
  { name: '${iot:ClientId} has no value on HTTPS: reported, and the entry matches nothing', ctx: HTTP, documents: [doc(allow('iot:Publish', `${ARN}topic/telemetry/\${iot:ClientId}`))], request: publish('telemetry/device1'), allowed: false, reason: 'implicit-deny', unsupported: ['VARIABLE_NO_VALUE'], certain: true },
  { name: 'an entry without a value does not stop another entry from matching', ctx: HTTP, documents: [doc(allow('iot:Publish', [`${ARN}topic/t/\${iot:ClientId}`, `${ARN}topic/t/*`]))], request: publish('t/x'), allowed: true, reason: 'allowed', unsupported: [] },
  { name: 'an unknown variable is reported and matches nothing', documents: [doc(allow('iot:Publish', `${ARN}topic/\${iot:Topic}`))], request: publish('x'), allowed: false, reason: 'implicit-deny', unsupported: ['VARIABLE_UNKNOWN'], certain: false },
  { name: 'variable names are case-sensitive: ${iot:clientid} is unknown', documents: [doc(allow('iot:Publish', `${ARN}topic/\${iot:clientid}`))], request: publish('device1'), allowed: false, reason: 'implicit-deny', unsupported: ['VARIABLE_UNKNOWN'] },
  { name: 'a Deny through an unresolved variable does not apply', ctx: HTTP, documents: [doc(EVERYTHING, deny('iot:Publish', `${ARN}topic/\${iot:ClientId}/*`))], request: publish('x/y'), allowed: true, reason: 'allowed', unsupported: ['VARIABLE_NO_VALUE'] },
  { name: 'thing variables have no value for a custom-authorizer connection', documents: [doc(allow('iot:Publish', `${ARN}topic/\${iot:Connection.Thing.ThingName}`))], request: publish('device1'), allowed: false, reason: 'implicit-deny', unsupported: ['VARIABLE_NO_VALUE'] },
  { name: 'thing variables resolve when the caller models an attached thing', ctx: { ...MQTT, thingName: 'thingA' }, documents: [doc(allow('iot:Publish', `${ARN}topic/\${iot:Connection.Thing.ThingName}/x`))], request: publish('thingA/x'), allowed: true, reason: 'allowed' },
  { name: 'thing attribute variables read the modelled attributes', ctx: { ...MQTT, thingName: 'thingA', thingAttributes: { site: 'lyon' } }, documents: [doc(allow('iot:Publish', `${ARN}topic/\${iot:Connection.Thing.Attributes[site]}/x`))], request: publish('lyon/x'), allowed: true, reason: 'allowed' },
  { name: 'certificate variables have no value for custom auth', documents: [doc(allow('iot:Publish', `${ARN}topic/\${iot:Certificate.Subject.CommonName}`))], request: publish('x'), allowed: false, reason: 'implicit-deny', unsupported: ['VARIABLE_NO_VALUE'] },
  { name: 'a substituted value is literal: client id "a*" does not act as a wildcard', ctx: { ...MQTT, clientId: 'a*' }, documents: [doc(allow('iot:Publish', `${ARN}topic/\${iot:ClientId}`))], request: publish('abc'), allowed: false, reason: 'implicit-deny' },
  { name: 'a substituted value matches itself literally', ctx: { ...MQTT, clientId: 'a*' }, documents: [doc(allow('iot:Publish', `${ARN}topic/\${iot:ClientId}`))], request: publish('a*'), allowed: true, reason: 'allowed' },
  { name: '${*} stands for a literal *', documents: [doc(allow('iot:Publish', `${ARN}topic/a\${*}`))], request: publish('ab'), allowed: false, reason: 'implicit-deny' },
  { name: '${*} matches the character *', documents: [doc(allow('iot:Publish', `${ARN}topic/a\${*}`))], request: publish('a*'), allowed: true, reason: 'allowed' },
  { name: 'without Version 2012-10-17 a variable is literal text', documents: [{ Version: '2008-10-17', Statement: [allow('iot:Publish', `${ARN}topic/\${iot:ClientId}`)] }], request: publish('device1'), allowed: false, reason: 'implicit-deny', unsupported: ['VARIABLE_NOT_SUBSTITUTED'] },

  // Conditions
  { name: 'StringEquals on iot:ClientId that holds allows', documents: [doc(allow('iot:Publish', '*', { Condition: { StringEquals: { 'iot:ClientId': 'device1' } } }))], request: publish('x'), allowed: true, reason: 'allowed', unsupported: [], certain: true },
  { name: 'StringEquals on iot:ClientId that fails does not allow', documents: [doc(allow('iot:Publish', '*', { Condition: { StringEquals: { 'iot:ClientId': ['device2', 'device3'] } } }))], request: publish('x'), allowed: false, reason: 'implicit-deny', unsupported: [], certain: true },
  { name: 'StringLike with a wildcard on iot:ClientId', documents: [doc(allow('iot:Publish', '*', { Condition: { StringLike: { 'iot:ClientId': 'dev*' } } }))], request: publish('x'), allowed: true, reason: 'allowed' },
  { name: 'StringNotEquals denies only other client ids', documents: [doc(EVERYTHING, deny('iot:Publish', '*', { Condition: { StringNotEquals: { 'iot:ClientId': 'device1' } } }))], request: publish('x'), allowed: true, reason: 'allowed' },
  { name: 'an unsupported condition operator on an Allow grants nothing and is reported', documents: [doc(allow('iot:Publish', '*', { Condition: { NumericLessThan: { 'mqtt:KeepAlive': '60' } } }))], request: publish('x'), allowed: false, reason: 'implicit-deny', unsupported: ['CONDITION_UNSUPPORTED'], certain: false },
  { name: 'an unsupported condition on a Deny is assumed to apply', documents: [doc(EVERYTHING, deny('iot:Publish', '*', { Condition: { DateGreaterThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } } }))], request: publish('x'), allowed: false, reason: 'explicit-deny', decidedBy: [0, 1], unsupported: ['CONDITION_UNSUPPORTED'], certain: false },
  { name: 'a condition key without a value (iot:ClientId on HTTPS) is reported', ctx: HTTP, documents: [doc(allow('iot:Publish', '*', { Condition: { StringEquals: { 'iot:ClientId': 'device1' } } }))], request: publish('x'), allowed: false, reason: 'implicit-deny', unsupported: ['CONDITION_KEY_NO_VALUE'], certain: false },
  { name: 'a condition that is certainly false wins over an unknown one: the Deny does not apply', documents: [doc(EVERYTHING, deny('iot:Publish', '*', { Condition: { StringEquals: { 'iot:ClientId': 'other' }, NumericLessThan: { 'mqtt:KeepAlive': '60' } } }))], request: publish('x'), allowed: true, reason: 'allowed', unsupported: ['CONDITION_UNSUPPORTED'] },
  { name: 'conditions of statements for other actions are not reported', documents: [doc(allow('iot:Publish', '*'), allow('iot:Subscribe', '*', { Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }))], request: publish('x'), allowed: true, reason: 'allowed', unsupported: [], certain: true },

  // Document forms
  { name: 'a document given as a JSON string (test-invoke form) is evaluated', documents: [JSON.stringify(doc(allow('iot:Publish', `${ARN}topic/x`)))], request: publish('x'), allowed: true, reason: 'allowed' },
  { name: 'a string that is not JSON is reported; other documents still count', documents: ['{not json', doc(allow('iot:Publish', `${ARN}topic/x`))], request: publish('x'), allowed: true, reason: 'allowed', decidedBy: [1, 0], unsupported: ['DOCUMENT_UNREADABLE'], certain: false },
  { name: 'a statement with Effect "allow" (wrong case) is skipped and reported', documents: [doc({ Effect: 'allow' as 'Allow', Action: 'iot:Publish', Resource: '*' })], request: publish('x'), allowed: false, reason: 'implicit-deny', unsupported: ['STATEMENT_MALFORMED'] },
  { name: 'a statement with both Action and NotAction is skipped and reported', documents: [doc({ Effect: 'Allow', Action: 'iot:Publish', NotAction: 'iot:Subscribe', Resource: '*' })], request: publish('x'), allowed: false, reason: 'implicit-deny', unsupported: ['STATEMENT_MALFORMED'] },

  // The examples of the domain doc and the AWS developer guide
  { name: 'AWS\'s documented example: publish to customAuthTestTopic is allowed', ctx: HTTP, documents: [{ Version: '2012-10-17', Statement: [{ Action: 'iot:Publish', Effect: 'Allow', Resource: 'arn:aws:iot:*:*:topic/customAuthTestTopic' }] }], request: publish('customAuthTestTopic'), allowed: true, reason: 'allowed', matchedResource: 'arn:aws:iot:*:*:topic/customAuthTestTopic' },
  { name: 'AWS\'s documented example: an MQTT client cannot connect', documents: [{ Version: '2012-10-17', Statement: [{ Action: 'iot:Publish', Effect: 'Allow', Resource: 'arn:aws:iot:*:*:topic/customAuthTestTopic' }] }], request: connect('device1'), allowed: false, reason: 'implicit-deny' },
  { name: 'AWS guide Node example: myClientName may connect in us-east-1', ctx: { region: 'us-east-1', accountId: ACCOUNT, clientId: 'myClientName' }, documents: [doc(allow(['iot:Connect'], ['arn:aws:iot:us-east-1:123456789012:client/myClientName']), allow(['iot:Publish'], ['arn:aws:iot:us-east-1:123456789012:topic/telemetry/myClientName']))], request: connect('myClientName'), allowed: true, reason: 'allowed', decidedBy: [0, 0] },
  { name: 'AWS guide Node example with Effect Deny refuses the publish explicitly', ctx: { region: 'us-east-1', accountId: ACCOUNT, clientId: 'myClientName' }, documents: [doc(deny(['iot:Connect'], ['arn:aws:iot:us-east-1:123456789012:client/myClientName']), deny(['iot:Publish'], ['arn:aws:iot:us-east-1:123456789012:topic/telemetry/myClientName']))], request: publish('telemetry/myClientName'), allowed: false, reason: 'explicit-deny', decidedBy: [0, 1] },
];
