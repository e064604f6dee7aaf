// Which workspace key each public key of an authorizer in AWS is: matched by fingerprint, so a
// key renamed in AWS is still recognised. Pure: the caller lists the workspace keys.
import { importPublicKey } from './keys';

export interface WorkspaceKeyRef {
  readonly name: string;
  readonly fingerprint?: string;
}

export interface MatchedAwsKey {
  /** The key's name in tokenSigningPublicKeys. */
  readonly name: string;
  readonly fingerprint?: string;
  readonly shortFingerprint?: string;
  readonly bits?: number;
  /** The workspace key with the same fingerprint. */
  readonly workspaceKey?: string;
  /** Why the PEM could not be read. */
  readonly problem?: string;
}

export function matchAwsKeys(awsKeys: Readonly<Record<string, string>>, workspaceKeys: readonly WorkspaceKeyRef[]): MatchedAwsKey[] {
  return Object.keys(awsKeys).sort().map((name) => {
    try {
      const k = importPublicKey(awsKeys[name], { what: `public key "${name}"` });
      const local = workspaceKeys.find((w) => w.fingerprint === k.fingerprint);
      return { name, fingerprint: k.fingerprint, shortFingerprint: k.shortFingerprint, bits: k.bits, ...(local ? { workspaceKey: local.name } : {}) };
    } catch (e) {
      return { name, problem: e instanceof Error ? e.message : String(e) };
    }
  });
}

/** "matches key example" / "no local key", as the tree shows it. */
export function describeKeyMatch(m: MatchedAwsKey): string {
  if (m.problem) return 'unreadable';
  return m.workspaceKey ? `${m.shortFingerprint} · matches key ${m.workspaceKey}` : `${m.shortFingerprint} · no local key`;
}
