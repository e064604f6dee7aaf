// The what-if row: evaluates the run's returned policies for a request the user types, in the
// browser with the same core/policy.ts the extension uses, so the verdict follows each keystroke.
import { evaluatePolicies, AuthorizationRequest, IotAction } from '../core/policy';
import { decisionRow } from './decisionRow';
import type { DecisionRowView, PolicyContextView } from './protocol';

export interface WhatIfInput {
  readonly action: IotAction;
  /** The connection's client id (for iot:Connect, the id that connects). */
  readonly clientId: string;
  /** Topic for Publish / Receive / RetainPublish, topic filter for Subscribe. */
  readonly resource: string;
}

export type WhatIfResult = { readonly row: DecisionRowView } | { readonly missing: string };

export function whatIfRequest(input: WhatIfInput): AuthorizationRequest {
  switch (input.action) {
    case 'iot:Connect':
      return { action: input.action, clientId: input.clientId };
    case 'iot:Subscribe':
      return { action: input.action, topicFilter: input.resource };
    default:
      return { action: input.action, topic: input.resource };
  }
}

/** What the resource field asks for, per action. */
export function resourceLabel(action: IotAction): string {
  return action === 'iot:Connect' ? 'Client id' : action === 'iot:Subscribe' ? 'Topic filter' : 'Topic';
}

export function evaluateWhatIf(documents: readonly string[], context: PolicyContextView, input: WhatIfInput): WhatIfResult {
  const needed = input.action === 'iot:Connect' ? input.clientId : input.resource;
  if (needed === '') return { missing: `Type a ${resourceLabel(input.action).toLowerCase()} to see the verdict.` };
  const ctx = { region: context.region, accountId: context.accountId, ...(input.clientId !== '' ? { clientId: input.clientId } : {}) };
  return { row: decisionRow(evaluatePolicies(documents, whatIfRequest(input), ctx)) };
}
