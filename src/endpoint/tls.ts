// The self-signed certificate of the HTTPS listener, made with the real openssl CLI (Node has
// no X.509 writer) and reused from its folder while it exists. Clients trust the certificate
// file itself: curl --cacert FILE, AWS_CA_BUNDLE=FILE, or an SDK's `ca` option.
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import { UserError } from '../core/errors';

const run = promisify(execFile);

export interface EndpointCertificate {
  readonly key: string;
  readonly cert: string;
  readonly certFile: string;
}

export async function selfSignedCertificate(dir: string, host: string): Promise<EndpointCertificate> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyFile = path.join(dir, 'endpoint-key.pem');
  const certFile = path.join(dir, 'endpoint-cert.pem');
  if (!fs.existsSync(keyFile) || !fs.existsSync(certFile)) {
    const san = /^[\d.]+$/.test(host) ? `IP:${host},DNS:localhost` : `DNS:${host},DNS:localhost,IP:127.0.0.1`;
    try {
      await run('openssl', [
        'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '365',
        '-keyout', keyFile, '-out', certFile,
        '-subj', '/CN=iot-authz local endpoint',
        '-addext', `subjectAltName=${san}`,
        '-addext', 'basicConstraints=critical,CA:TRUE',
      ]);
    } catch (e) {
      throw new UserError(`Could not create the endpoint's TLS certificate with openssl (${e instanceof Error ? e.message : String(e)}). Install openssl, or start without --tls.`, 'OPENSSL_FAILED');
    }
    fs.chmodSync(keyFile, 0o600);
  }
  return { key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8'), certFile };
}
