// What a test event may add for policy evaluation: the operations the device will attempt
// ("may dev1 publish to a/b?"), evaluated and shown like the what-if rows, and the source IP
// that aws:SourceIp conditions read, and the CONNECT flags that iot:ConnectAttributes reads.
import { Node as JsonNode, findNodeAtLocation } from 'jsonc-parser';
import type { ParsedJsonText } from './jsonText';
import type { MqttConnectData, MqttWill } from './testEvent';
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

/** `"mqtt": {"cleanSession": false}`: CONNECT's Clean Session (MQTT 5: Clean Start) flag; undefined when absent. */
export function readCleanSession(mqttNode: JsonNode, at: ParsedJsonText['report']): boolean | undefined {
  const node = findNodeAtLocation(mqttNode, ['cleanSession']);
  if (node === undefined) return undefined;
  if (node.type !== 'boolean') {
    at(node, 'mqtt.cleanSession', '"cleanSession" must be true or false (false: the device asks for a persistent session).');
    return undefined;
  }
  return node.value as boolean;
}

/** `"mqtt": {"will": {"topic": "a/b"}}`: CONNECT's will message; undefined when absent or wrong. */
export function readWill(
  mqttNode: JsonNode,
  at: ParsedJsonText['report'],
  warnUnknown: (node: JsonNode, prefix: string) => void,
): MqttWill | undefined {
  const node = findNodeAtLocation(mqttNode, ['will']);
  if (node === undefined) return undefined;
  const shape = '"will" is the CONNECT will message: {"topic": "devices/dev1/lost", "message": "gone", "qos": 0, "retain": false}.';
  if (node.type !== 'object') {
    at(node, 'mqtt.will', shape);
    return undefined;
  }
  warnUnknown(node, 'mqtt.will.');
  const topic = findNodeAtLocation(node, ['topic']);
  const message = findNodeAtLocation(node, ['message']);
  const qos = findNodeAtLocation(node, ['qos']);
  const retain = findNodeAtLocation(node, ['retain']);
  let ok = true;
  const bad = (n: JsonNode, field: string, why: string) => {
    at(n, `mqtt.will.${field}`, why);
    ok = false;
  };
  if (topic === undefined) bad(node, 'topic', `Missing "topic". ${shape}`);
  else if (topic.type !== 'string' || topic.value === '') bad(topic, 'topic', '"topic" must be a non-empty topic name, e.g. "devices/dev1/lost".');
  if (message !== undefined && message.type !== 'string') bad(message, 'message', '"message" must be a string.');
  // AWS IoT Core supports QoS 0 and 1 only.
  if (qos !== undefined && qos.value !== 0 && qos.value !== 1) bad(qos, 'qos', '"qos" must be 0 or 1 (AWS IoT Core does not support QoS 2).');
  if (retain !== undefined && retain.type !== 'boolean') bad(retain, 'retain', '"retain" must be true or false.');
  if (!ok || topic === undefined) return undefined;
  return {
    topic: topic.value as string,
    ...(message !== undefined ? { message: message.value as string } : {}),
    ...(qos !== undefined ? { qos: qos.value as 0 | 1 } : {}),
    ...(retain !== undefined ? { retain: retain.value as boolean } : {}),
  };
}

/**
 * The values of iot:ConnectAttributes for a CONNECT: `PersistentConnect` when Clean Session is
 * false, `LastWill` when it carries a will. Undefined (the condition cannot be decided) when the
 * event does not state `cleanSession`: the tool does not guess what the device sends.
 */
export function connectAttributesOf(mqtt: MqttConnectData | undefined): string[] | undefined {
  if (mqtt?.cleanSession === undefined) return undefined;
  return [...(mqtt.cleanSession ? [] : ['PersistentConnect']), ...(mqtt.will ? ['LastWill'] : [])];
}
