// Limits on how much of an answer is worth evaluating. AWS refuses an answer with more than
// MAX_POLICY_DOCUMENTS documents before looking at any policy, so the tool stops there too.
import { MAX_POLICY_DOCUMENTS } from './constants';
import type { EventProblem } from './events';

export function tooManyDocumentsToEvaluate(count: number): EventProblem {
  return {
    severity: 'warning',
    field: 'policyDocuments',
    message: `Policies not evaluated: the answer holds ${count} policy documents and AWS rejects any answer with more than ${MAX_POLICY_DOCUMENTS}, whatever they say.`,
  };
}
