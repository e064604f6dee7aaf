// HTTPS publish carries no MQTT client id, so `${iot:ClientId}` and the iot:ClientId
// condition key have no value: statements that need them grant nothing and AWS refuses the
// publish. The policy table shows the row; this finding says why, for the headline too.
import type { EventProblem } from './events';
import type { PolicyDocument } from './policy';
import { ANY, ONE, wildcardMatch, WildcardToken } from './wildcard';

const CLIENT_ID_USE = /\$\{\s*iot:ClientId\s*\}|"iot:ClientId"\s*:/;

/** Does an Allow statement's Action (or NotAction) reach iot:Publish, the one action HTTPS publish needs? */
function grantsPublish(statement: Record<string, unknown>): boolean {
  if (statement.Effect !== 'Allow') return false;
  if (statement.NotAction !== undefined) return true;
  const actions = ([] as unknown[]).concat(statement.Action ?? []);
  return actions.some((a) => typeof a === 'string' && wildcardMatch([...a].map((c): WildcardToken => (c === '*' ? ANY : c === '?' ? ONE : c)), 'iot:Publish', true));
}

function statementsOf(document: PolicyDocument | string): Record<string, unknown>[] {
  let parsed: unknown = document;
  if (typeof document === 'string') {
    try {
      parsed = JSON.parse(document);
    } catch {
      return [];
    }
  }
  const statement = (parsed as { Statement?: unknown } | null)?.Statement;
  return ([] as unknown[]).concat(statement ?? []).filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null);
}

export function clientIdOverHttpsProblem(documents: ReadonlyArray<PolicyDocument | string>, protocol: string): EventProblem | undefined {
  if (protocol !== 'http') return undefined;
  // Only statements that could allow the publish matter: a Connect statement on
  // client/${iot:ClientId} is for MQTT devices and harms no HTTPS publish.
  const uses = documents.some((d) => statementsOf(d).some((st) => grantsPublish(st) && CLIENT_ID_USE.test(JSON.stringify(st))));
  if (!uses) return undefined;
  return {
    severity: 'warning',
    field: 'policyDocuments',
    message:
      'The policies use ${iot:ClientId} (or the iot:ClientId condition key) in statements that allow iot:Publish, but an HTTPS publish has no client id: those statements grant nothing, so AWS refuses the publishes they were meant to allow. Name the topics without ${iot:ClientId} for HTTPS devices (e.g. from the principal the Lambda knows).',
  };
}
