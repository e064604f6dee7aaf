// What a test event may add for policy evaluation: the operations the device will attempt
// ("may dev1 publish to a/b?"), evaluated and shown like the what-if rows, and the source IP
// that aws:SourceIp conditions read.
import { Node as JsonNode, findNodeAtLocation } from 'jsonc-parser';
import type { ParsedJsonText } from './jsonText';
import { AuthorizationRequest, IOT_ACTIONS, IotAction } from './policy';

export const OPERATION_FIELDS = ['action', 'topic', 'topicFilter', 'clientId'] as const;

/** `"operations": [{"action": "iot:Publish", "topic": "a/b"}, …]`; undefined when absent. */
export function readOperations(root: JsonNode, at: ParsedJsonText['report']): AuthorizationRequest[] | undefined {
  const node = findNodeAtLocation(root, ['operations']);
  if (node === undefined) return undefined;
  if (node.type !== 'array') {
    at(node, 'operations', '"operations" must be a list like [{"action": "iot:Publish", "topic": "a/b"}].');
    return undefined;
  }
  const out: AuthorizationRequest[] = [];
  (node.children ?? []).forEach((item, i) => {
    const p = `operations[${i}]`;
    const field = (key: string): string | undefined => {
      const n = item.type === 'object' ? findNodeAtLocation(item, [key]) : undefined;
      if (n === undefined) return undefined;
      if (n.type !== 'string') at(n, `${p}.${key}`, `"${key}" must be a string.`);
      return n.type === 'string' ? (n.value as string) : undefined;
    };
    if (item.type !== 'object') {
      at(item, p, 'Each operation is an object: {"action": "iot:Publish", "topic": "a/b"}.');
      return;
    }
    const action = field('action');
    if (!action || !IOT_ACTIONS.includes(action as IotAction)) {
      at(findNodeAtLocation(item, ['action']) ?? item, `${p}.action`, `"action" must be one of ${IOT_ACTIONS.join(', ')}.`);
      return;
    }
    const topic = field('topic');
    const topicFilter = field('topicFilter') ?? (action === 'iot:Subscribe' ? topic : undefined);
    const clientId = field('clientId');
    if (action === 'iot:Connect') out.push({ action, ...(clientId !== undefined ? { clientId } : {}) });
    else if (action === 'iot:Subscribe') {
      if (topicFilter === undefined) at(item, `${p}.topicFilter`, 'iot:Subscribe needs "topicFilter", e.g. "devices/+/state".');
      else out.push({ action, topicFilter });
    } else if (topic === undefined) at(item, `${p}.topic`, `${action} needs "topic", e.g. "devices/dev1/state".`);
    else out.push({ action: action as IotAction, topic });
  });
  return out;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** `"sourceIp": "203.0.113.7"`: the address aws:SourceIp reads; undefined when absent. */
export function readSourceIp(root: JsonNode, at: ParsedJsonText['report']): string | undefined {
  const node = findNodeAtLocation(root, ['sourceIp']);
  if (node === undefined) return undefined;
  if (node.type !== 'string' || !(IPV4.test(node.value as string) || (node.value as string).includes(':'))) {
    at(node, 'sourceIp', '"sourceIp" must be an IP address such as "203.0.113.7".');
    return undefined;
  }
  return node.value as string;
}
