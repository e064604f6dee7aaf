// Pure pieces of the actions on an authorizer in the account: the AWS console address of an
// authorizer, and public-key rotation (AWS keeps at most two keys in tokenSigningPublicKeys:
// add the workspace's new key next to the old one, later remove the old one).
import { UserError } from './errors';
import { importPublicKey } from './keys';

/** AWS allows at most this many keys in an authorizer's tokenSigningPublicKeys. */
export const MAX_AUTHORIZER_KEYS = 2;

const CONSOLE_HOSTS: Readonly<Record<string, string>> = {
  aws: 'console.aws.amazon.com',
  'aws-cn': 'console.amazonaws.cn',
  'aws-us-gov': 'console.amazonaws-us-gov.com',
};

/**
 * The AWS IoT console's custom-authorizer page (`#/authorizerhub`, the address AWS's developer
 * guide links to) in the region and partition of the authorizer `arn`
 * (arn:PARTITION:iot:REGION:ACCOUNT:authorizer/NAME), where it is listed. The console's
 * per-authorizer fragment is not documented, so it is not guessed.
 */
export function authorizerConsoleUrl(arn: string): string {
  const m = /^arn:([a-z-]+):iot:([a-z0-9-]+):(\d{12}):authorizer\/(.+)$/.exec(arn);
  if (!m) throw new UserError(`"${arn}" is not an authorizer ARN (arn:aws:iot:REGION:ACCOUNT:authorizer/NAME).`, 'AWS_ARN_INVALID');
  const [, partition, region] = m;
  const host = CONSOLE_HOSTS[partition];
  if (!host) throw new UserError(`No AWS console is known for partition "${partition}" (known: ${Object.keys(CONSOLE_HOSTS).join(', ')}).`, 'AWS_PARTITION_UNKNOWN');
  return `https://${region}.${host}/iot/home?region=${region}#/authorizerhub`;
}

function fingerprintOf(pem: string, what: string): string {
  return importPublicKey(pem, { what }).fingerprint;
}

/**
 * The authorizer's keys with `added` next to the ones it has. Refuses a key it already has (by
 * fingerprint) and a third key: the caller names one to `replace` then. The new key keeps its
 * workspace name unless the authorizer already uses that name for another key.
 */
export function keysWithAdded(
  current: Readonly<Record<string, string>>,
  added: { readonly name: string; readonly pem: string },
  replace?: string,
): Record<string, string> {
  const fingerprint = fingerprintOf(added.pem, `workspace key "${added.name}"`);
  const same = Object.keys(current).find((n) => {
    try {
      return fingerprintOf(current[n], `public key "${n}"`) === fingerprint;
    } catch {
      return false;
    }
  });
  if (same !== undefined) throw new UserError(`The authorizer already has the workspace key "${added.name}" (as "${same}"): nothing to rotate.`, 'KEY_ALREADY_PRESENT');
  const next: Record<string, string> = { ...current };
  if (replace !== undefined) {
    if (!(replace in next)) throw new UserError(`The authorizer has no key named "${replace}" (it has ${Object.keys(current).join(', ') || 'none'}).`, 'KEY_NOT_FOUND');
    delete next[replace];
  }
  if (Object.keys(next).length >= MAX_AUTHORIZER_KEYS)
    throw new UserError(
      `The authorizer already has ${MAX_AUTHORIZER_KEYS} keys (${Object.keys(next).join(', ')}), the most AWS allows: remove one first, or pick one to replace.`,
      'TOO_MANY_KEYS',
    );
  let name = added.name;
  for (let i = 2; name in next; i++) name = `${added.name}-${i}`;
  next[name] = added.pem;
  return next;
}

/** The authorizer's keys without `name`; refuses to remove the last one (a signing authorizer needs a key). */
export function keysWithRemoved(current: Readonly<Record<string, string>>, name: string): Record<string, string> {
  if (!(name in current)) throw new UserError(`The authorizer has no key named "${name}" (it has ${Object.keys(current).join(', ') || 'none'}).`, 'KEY_NOT_FOUND');
  if (Object.keys(current).length <= 1)
    throw new UserError(`"${name}" is the authorizer's only key: devices could no longer sign. Add the new key first (Rotate Public Key), then remove this one.`, 'LAST_KEY');
  const next = { ...current };
  delete next[name];
  return next;
}
