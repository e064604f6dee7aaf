// A small REST-JSON stand-in for Lambda, IoT and STS on 127.0.0.1, as far as deploy and
// test-invoke use them, for tests of the real AWS SDK through --endpoint-url or the
// iotAuthz.aws.endpointUrl setting. Errors carry x-amzn-ErrorType like AWS's.
import * as crypto from 'crypto';
import * as http from 'http';
import { AddressInfo } from 'net';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';

export interface Seen {
  method: string;
  path: string;
  body: string;
}

/** Lambda + IoT + STS as far as deploy and test-invoke use them. */
export class StandIn {
  readonly seen: Seen[] = [];
  functions = new Map<string, Record<string, unknown>>();
  policies = new Map<string, Array<Record<string, unknown>>>();
  authorizers = new Map<string, Record<string, unknown>>();
  private server?: http.Server;

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        const body = Buffer.concat(chunks).toString('utf8');
        this.seen.push({ method: req.method ?? '', path: url.pathname, body });
        const send = (status: number, json: unknown, error?: string) => {
          res.writeHead(status, { 'content-type': 'application/json', ...(error ? { 'x-amzn-errortype': error } : {}) });
          res.end(json === undefined ? '' : JSON.stringify(json));
        };
        const fail = (status: number, name: string, message: string) => send(status, { __type: name, message, Type: 'User', Message: message }, name);
        if (req.method === 'POST' && url.pathname === '/' && /GetCallerIdentity/.test(body)) {
          res.writeHead(200, { 'content-type': 'text/xml' });
          res.end(`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::${ACCOUNT}:user/dev</Arn><UserId>AIDA</UserId><Account>${ACCOUNT}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`);
          return;
        }
        let m: RegExpExecArray | null;
        if (req.method === 'POST' && url.pathname === '/2015-03-31/functions') {
          const input = JSON.parse(body) as { FunctionName: string; Runtime: string; Handler: string; Role: string; Code: { ZipFile: string } };
          const zip = Buffer.from(input.Code.ZipFile, 'base64');
          const config = { FunctionName: input.FunctionName, FunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${input.FunctionName}`, Runtime: input.Runtime, Handler: input.Handler, Role: input.Role, CodeSha256: crypto.createHash('sha256').update(zip).digest('base64'), State: 'Active', LastUpdateStatus: 'Successful' };
          this.functions.set(input.FunctionName, config);
          return send(201, config);
        }
        if ((m = /^\/2015-03-31\/functions\/([^/]+)$/.exec(url.pathname)) && req.method === 'GET') {
          const f = this.functions.get(decodeURIComponent(m[1]));
          return f ? send(200, { Configuration: f, Code: {} }) : fail(404, 'ResourceNotFoundException', `Function not found: ${m[1]}`);
        }
        if ((m = /^\/2015-03-31\/functions\/([^/]+)\/code$/.exec(url.pathname)) && req.method === 'PUT') {
          const f = this.functions.get(decodeURIComponent(m[1]));
          if (!f) return fail(404, 'ResourceNotFoundException', 'Function not found');
          f.CodeSha256 = crypto.createHash('sha256').update(Buffer.from((JSON.parse(body) as { ZipFile: string }).ZipFile, 'base64')).digest('base64');
          return send(200, f);
        }
        if ((m = /^\/2015-03-31\/functions\/([^/]+)\/policy$/.exec(url.pathname))) {
          const name = decodeURIComponent(m[1]);
          const list = this.policies.get(name) ?? [];
          if (req.method === 'GET') return list.length ? send(200, { Policy: JSON.stringify({ Version: '2012-10-17', Statement: list }), RevisionId: '1' }) : fail(404, 'ResourceNotFoundException', 'The resource you requested does not exist.');
          const input = JSON.parse(body) as { StatementId: string; Principal: string; Action: string; SourceArn: string };
          if (list.some((s) => s.Sid === input.StatementId)) return fail(409, 'ResourceConflictException', `The statement id (${input.StatementId}) provided already exists.`);
          list.push({ Sid: input.StatementId, Effect: 'Allow', Principal: { Service: input.Principal }, Action: input.Action, Condition: { ArnLike: { 'AWS:SourceArn': input.SourceArn } } });
          this.policies.set(name, list);
          return send(201, { Statement: JSON.stringify(list[list.length - 1]) });
        }
        if ((m = /^\/authorizer\/([^/]+)\/test$/.exec(url.pathname)) && req.method === 'POST') {
          return send(200, { isAuthenticated: false, principalId: 'denied', policyDocuments: [], refreshAfterInSeconds: 300, disconnectAfterInSeconds: 300 });
        }
        if ((m = /^\/authorizer\/([^/]+)$/.exec(url.pathname))) {
          const name = decodeURIComponent(m[1]);
          const a = this.authorizers.get(name);
          if (req.method === 'GET') return a ? send(200, { authorizerDescription: a }) : fail(404, 'ResourceNotFoundException', `Authorizer ${name} not found`);
          const input = JSON.parse(body) as Record<string, unknown>;
          const arn = `arn:aws:iot:${REGION}:${ACCOUNT}:authorizer/${name}`;
          this.authorizers.set(name, { ...(a ?? {}), ...input, authorizerName: name, authorizerArn: arn });
          return send(200, { authorizerName: name, authorizerArn: arn });
        }
        if (/^\/authorizers\/?$/.test(url.pathname) && req.method === 'GET') {
          return send(200, { authorizers: [...this.authorizers.values()].map((a) => ({ authorizerName: a.authorizerName, authorizerArn: a.authorizerArn })) });
        }
        if (url.pathname === '/endpoint' && req.method === 'GET') return send(200, { endpointAddress: `abc123example-ats.iot.${REGION}.amazonaws.com` });
        if (url.pathname === '/default-authorizer') return fail(404, 'ResourceNotFoundException', 'No default authorizer');
        return fail(400, 'InvalidRequestException', `stand-in does not know ${req.method} ${url.pathname}`);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

