// The local IoT endpoint's public surface (never imports vscode): start it, read its decisions.
export { LocalEndpoint } from './server';
export type { EndpointOptions, EndpointListener } from './server';
export { DecisionLog, STAGE_ORDER } from './decisions';
export type { EndpointDecision, StageName, StageRecord } from './decisions';
export { decisionToInvocationResult } from './decisionResult';
export type { PublishedMessage, EndpointCounters } from './context';
export type { MqttConnectionInfo } from './mqtt';
