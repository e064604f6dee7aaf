// A policy table row for actions whose statements name no concrete resource: `iot:*` or a
// NotAction on `"Resource": "*"`, or a NotResource. Without a row the table would hide them;
// an example name shows how such a statement decides a request.
import type { AuthorizationRequest, IotAction } from './policy';

export const EXAMPLE_TOPIC = 'example/topic';
export const EXAMPLE_TOPIC_FILTER = 'example/#';

export function representativeRequest(action: IotAction): AuthorizationRequest | undefined {
  if (action === 'iot:Connect') return undefined;
  return action === 'iot:Subscribe' ? { action, topicFilter: EXAMPLE_TOPIC_FILTER } : { action, topic: EXAMPLE_TOPIC };
}
