// HTTPS publish carries no MQTT client id, so `${iot:ClientId}` and the iot:ClientId
// condition key have no value: statements that need them grant nothing and AWS refuses the
// publish. The policy table shows the row; this finding says why, for the headline too.
import type { EventProblem } from './events';
import { PolicyDocument, policyStatements, ReadStatement } from './policy';
import { ANY, ONE, wildcardMatch, WildcardToken } from './wildcard';

const CLIENT_ID_USE = /\$\{\s*iot:ClientId\s*\}|"iot:ClientId"\s*:/;

/** Does an Allow statement's Action (or NotAction) reach iot:Publish, the one action HTTPS publish needs? */
function grantsPublish(statement: ReadStatement): boolean {
  if (statement.effect !== 'Allow') return false;
  if (statement.notAction) return true;
  return statement.actions.some((a) => wildcardMatch([...a].map((c): WildcardToken => (c === '*' ? ANY : c === '?' ? ONE : c)), 'iot:Publish', true));
}

/** Do the statement's resources or conditions use the client id? */
function usesClientId(statement: ReadStatement): boolean {
  return CLIENT_ID_USE.test(JSON.stringify([statement.resources, statement.condition ?? {}]));
}

export function clientIdOverHttpsProblem(documents: ReadonlyArray<PolicyDocument | string>, protocol: string): EventProblem | undefined {
  if (protocol !== 'http') return undefined;
  // Only statements that could allow the publish matter: a Connect statement on
  // client/${iot:ClientId} is for MQTT devices and harms no HTTPS publish.
  const uses = policyStatements(documents).some((st) => grantsPublish(st) && usesClientId(st));
  if (!uses) return undefined;
  return {
    severity: 'warning',
    field: 'policyDocuments',
    message:
      'The policies use ${iot:ClientId} (or the iot:ClientId condition key) in statements that allow iot:Publish, but an HTTPS publish has no client id: those statements grant nothing, so AWS refuses the publishes they were meant to allow. Name the topics without ${iot:ClientId} for HTTPS devices (e.g. from the principal the Lambda knows).',
  };
}
