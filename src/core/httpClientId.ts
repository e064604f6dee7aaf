// HTTPS publish carries no MQTT client id, so `${iot:ClientId}` and the iot:ClientId
// condition key have no value: statements that need them grant nothing and AWS refuses the
// publish. The policy table shows the row; this finding says why, for the headline too.
import type { EventProblem } from './events';
import type { PolicyDocument } from './policy';

const CLIENT_ID_USE = /\$\{\s*iot:ClientId\s*\}|"iot:ClientId"\s*:/;

export function clientIdOverHttpsProblem(documents: ReadonlyArray<PolicyDocument | string>, protocol: string): EventProblem | undefined {
  if (protocol !== 'http') return undefined;
  const uses = documents.some((d) => CLIENT_ID_USE.test(typeof d === 'string' ? d : JSON.stringify(d)));
  if (!uses) return undefined;
  return {
    severity: 'warning',
    field: 'policyDocuments',
    message: 'The policies use ${iot:ClientId} (or the iot:ClientId condition key), but an HTTPS publish has no client id: those statements grant nothing, so AWS refuses the publishes they were meant to allow. Name the topics without ${iot:ClientId} for HTTPS devices (e.g. from the principal the Lambda knows).',
  };
}
