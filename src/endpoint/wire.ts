// How the local endpoint speaks AWS's REST-JSON on the wire: error names in the
// `x-amzn-ErrorType` header and a body naming the same error (IoT: `__type` + `message`;
// Lambda adds `Type` + `Message`), bodies read with a size limit, and the region and service
// read from the SigV4 credential scope. The AWS CLI and SDK v3 parse exactly these.
import { randomUUID } from 'crypto';
import type { IncomingMessage, ServerResponse } from 'http';

export type ApiService = 'iot' | 'lambda';

/** An answer AWS gives as an error: the status, AWS's error name and its message. */
export class AwsApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'AwsApiError';
  }
}

export const notFound = (message: string): AwsApiError => new AwsApiError(404, 'ResourceNotFoundException', message);
export const invalidRequest = (message: string): AwsApiError => new AwsApiError(400, 'InvalidRequestException', message);
export const lambdaInvalidParameter = (message: string): AwsApiError => new AwsApiError(400, 'InvalidParameterValueException', message);

/** `1 validation error detected: Value 'x' at 'field' failed to satisfy constraint: ...`, AWS's validation wording. */
export function validationMessage(field: string, value: unknown, constraint: string): string {
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  return `1 validation error detected: Value '${shown}' at '${field}' failed to satisfy constraint: ${constraint}`;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  res.end(text);
}

/** Sends `error` the way `service` does; the CLI prints `An error occurred (<type>) when calling ...: <message>`. */
export function sendAwsError(res: ServerResponse, service: ApiService, error: AwsApiError): void {
  const body: Record<string, string> = { __type: error.type, message: error.message };
  if (service === 'lambda') Object.assign(body, { Type: error.status >= 500 ? 'Service' : 'User', Message: error.message });
  sendJson(res, error.status, body, { 'x-amzn-errortype': error.type });
}

/** How much of an oversized body is still read (and thrown away) so its sender can read the 413. */
const OVERSIZED_BODY_DRAIN_LIMIT = 16 * 1024 * 1024;

/**
 * The whole request body, or a 413 AwsApiError past `limit` bytes. An oversized body is read to
 * its end and thrown away before the 413 is answered: answering while the client is still
 * sending makes the server close a socket with unread data, the client then gets a reset
 * (EPIPE) instead of the answer. Past OVERSIZED_BODY_DRAIN_LIMIT the 413 goes out at once.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new AwsApiError(413, 'RequestEntityTooLargeException', `Request must be smaller than ${limit} bytes.`);
    const declared = Number(req.headers['content-length']);
    let oversized = Number.isFinite(declared) && declared > limit;
    let settled = false;
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      action();
    };
    if (oversized && declared > OVERSIZED_BODY_DRAIN_LIMIT) {
      settle(() => reject(tooLarge()));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (!oversized && size > limit) {
        oversized = true;
        chunks.length = 0;
      }
      if (oversized) {
        if (size > OVERSIZED_BODY_DRAIN_LIMIT) settle(() => reject(tooLarge()));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => settle(() => (oversized ? reject(tooLarge()) : resolve(Buffer.concat(chunks)))));
    req.on('error', (e) => settle(() => reject(e)));
  });
}

/** A JSON object body; an empty body is `{}`. Anything else is the service's malformed-request error. */
export function parseJsonObject(body: Buffer, service: ApiService): Record<string, unknown> {
  const text = body.toString('utf8').trim();
  if (text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw service === 'lambda'
      ? new AwsApiError(400, 'InvalidRequestContentException', 'Could not parse request body into json: the body is not valid JSON.')
      : invalidRequest('Request body is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw service === 'lambda'
      ? new AwsApiError(400, 'InvalidRequestContentException', 'Could not parse request body into json: expected a JSON object.')
      : invalidRequest('Request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

export interface SigV4Scope {
  readonly accessKeyId: string;
  readonly region: string;
  readonly service: string;
}

const CREDENTIAL = /Credential=([^/,\s]+)\/\d{8}\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/;

/** The credential scope of a SigV4-signed request (header or presigned query); the signature itself is not checked. */
export function sigV4Scope(req: IncomingMessage, query: URLSearchParams): SigV4Scope | undefined {
  const auth = req.headers.authorization;
  const fromQuery = query.get('X-Amz-Credential');
  const text = typeof auth === 'string' && auth.startsWith('AWS4-HMAC-SHA256') ? auth : fromQuery ? `Credential=${fromQuery}` : undefined;
  const m = text ? CREDENTIAL.exec(text) : null;
  return m ? { accessKeyId: m[1], region: m[2], service: m[3] } : undefined;
}

/** Optional string field of a JSON body; a value of another type is the service's validation error. */
export function stringField(body: Record<string, unknown>, name: string, service: ApiService): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw typeError(name, 'a string', service);
  return v;
}

export function booleanField(body: Record<string, unknown>, name: string, service: ApiService): boolean | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw typeError(name, 'a boolean', service);
  return v;
}

export function integerField(body: Record<string, unknown>, name: string, service: ApiService): number | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw typeError(name, 'an integer', service);
  return v;
}

export function recordField(body: Record<string, unknown>, name: string, service: ApiService): Record<string, unknown> | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw typeError(name, 'an object', service);
  return v as Record<string, unknown>;
}

function typeError(name: string, what: string, service: ApiService): AwsApiError {
  const message = `Field ${name} must be ${what}.`;
  return service === 'lambda' ? new AwsApiError(400, 'InvalidRequestContentException', message) : invalidRequest(message);
}
