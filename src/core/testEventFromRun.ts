// "Save as test event": turns a run back into a test event file (core/testEvent.ts) that sends
// the same request. When the token, signature and authorizer name travelled together, they
// become a `credentials` object, and a signature that verified becomes {"sign": "<key>"} so
// the saved event keeps working after a key rotation. Everything else is kept as sent, minus
// what the runtime adds by itself (host, WebSocket upgrade headers, the placeholder endpoint).
// The MQTT password is never in a run, so it is never in the saved event. Pure: no I/O.
import { AUTHORIZER_NAME_PARAM, SIGNATURE_PARAM } from './constants';
import { CredentialSource, extractCredentials, parseQueryParams } from './credentials';
import { UserError } from './errors';
import type { InvocationResult } from './result';
import { inferTokenKeyName, isPlaceholderServerName } from './snippets';
import type { SignableValue } from './testEvent';

export interface SavedTestEvent {
  /** The event file's text, pretty-printed JSON ending in a newline. */
  readonly text: string;
  /** What the user should know about the saved file, e.g. that the password was left out. */
  readonly notes: readonly string[];
}

/** Headers the runtime adds to every request by itself (core/events.ts resolveDeviceRequest). */
const IMPLICIT_HEADERS = ['host', 'upgrade', 'connection', 'sec-websocket-version', 'sec-websocket-key', 'sec-websocket-protocol'];

/** Raw `name=value` segments of a query string (no `?`), minus those whose decoded name is in `drop`. */
function keepSegments(query: string, drop: readonly string[]): string[] {
  return query
    .split('&')
    .filter((segment) => segment !== '')
    .filter((segment) => {
      const [[name]] = parseQueryParams(segment.includes('=') ? segment : `${segment}=`);
      return !drop.includes(name);
    });
}

/**
 * The text of a test event that repeats `run`'s request. Throws a UserError (RUN_HAS_NO_REQUEST)
 * when the run failed before its request was built. `tokenKeyName` comes from the project when
 * known; otherwise it is read from where the run's token was found.
 */
export function testEventFromRun(run: InvocationResult, options: { tokenKeyName?: string; description?: string } = {}): SavedTestEvent {
  const wire = run.request.wire;
  if (!wire) {
    throw new UserError(
      `This run has no request to save (${run.outcome}: ${run.headline}). Fix the problem it reports and run it again, then save that run.`,
      'RUN_HAS_NO_REQUEST',
    );
  }
  const notes: string[] = [];
  const tokenKeyName = options.tokenKeyName ?? inferTokenKeyName(wire, run.request.token);
  let headers: Record<string, string> = Object.fromEntries(
    Object.entries(wire.headers ?? {}).filter(([name, value]) => {
      const lower = name.toLowerCase();
      return !IMPLICIT_HEADERS.includes(lower) || (lower === 'host' && value !== wire.serverName);
    }),
  );
  let query = wire.queryString?.replace(/^\?/, '') ?? '';
  let username = wire.mqtt?.username;

  // Credentials as one object only when token, signature and name were all read from one place:
  // the runtime then places them back exactly there.
  const parts = { headers: wire.headers, queryString: wire.queryString, mqttUsername: username };
  const found = extractCredentials(parts, tokenKeyName);
  const valueInSameSource = (name: string) => extractCredentials(
    { headers: found.source === 'headers' ? wire.headers : undefined, queryString: found.source === 'query' ? wire.queryString : undefined, mqttUsername: found.source === 'mqtt-username' ? username : undefined },
    name,
  ).token;
  let credentials: { token: string; signature?: SignableValue; in: CredentialSource } | undefined;
  let authorizer: string | undefined;
  const together =
    tokenKeyName !== undefined &&
    found.token !== undefined &&
    found.source !== undefined &&
    (found.signature === undefined || valueInSameSource(SIGNATURE_PARAM) === found.signature) &&
    (found.authorizerName === undefined || valueInSameSource(AUTHORIZER_NAME_PARAM) === found.authorizerName);
  if (together && tokenKeyName !== undefined && found.token !== undefined && found.source !== undefined) {
    const names = [tokenKeyName, SIGNATURE_PARAM, AUTHORIZER_NAME_PARAM];
    if (found.source === 'headers') {
      headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !names.some((n) => n.toLowerCase() === k.toLowerCase())));
    } else if (found.source === 'query') {
      query = keepSegments(query, names).join('&');
    } else if (username !== undefined) {
      const q = username.indexOf('?');
      const rest = q < 0 ? [] : keepSegments(username.slice(q + 1), names);
      username = (q < 0 ? username : username.slice(0, q)) + (rest.length ? `?${rest.join('&')}` : '');
    }
    const verified = run.signature.status === 'verified' && run.signature.keyName !== undefined;
    const signature: SignableValue | undefined =
      found.signature === undefined ? undefined : verified ? { sign: run.signature.keyName as string } : found.signature;
    credentials = { token: found.token, ...(signature !== undefined ? { signature } : {}), in: found.source };
    // No name sent means AWS's default authorizer: the saved event must not start sending one.
    authorizer = found.authorizerName;
    if (signature !== undefined && typeof signature === 'string') {
      notes.push('The signature is kept as sent because it did not verify; use {"sign": "<key>"} to have it computed.');
    }
  } else {
    authorizer = found.authorizerName;
  }

  const event: Record<string, unknown> = {
    description: options.description ?? `Saved from the run of ${run.startedAt}: ${run.headline}`,
  };
  if (authorizer !== undefined) event.authorizer = authorizer;
  event.protocol = wire.protocol;
  if (!isPlaceholderServerName(wire.serverName)) event.serverName = wire.serverName;
  if (Object.keys(headers).length > 0) event.headers = headers;
  if (query !== '') event.queryString = `?${query}`;
  if (wire.mqtt) {
    const mqtt: Record<string, string> = {};
    if (wire.mqtt.clientId !== undefined) mqtt.clientId = wire.mqtt.clientId;
    if (username !== undefined && username !== '') mqtt.username = username;
    if (Object.keys(mqtt).length > 0) event.mqtt = mqtt;
    if (wire.mqtt.hasPassword) notes.push('The run sent an MQTT password; passwords are never kept, so add "password" to "mqtt" if the handler needs it.');
  }
  if (credentials) event.credentials = credentials;
  return { text: `${JSON.stringify(event, null, 2)}\n`, notes };
}
