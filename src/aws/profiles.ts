// The named profiles of ~/.aws/config and ~/.aws/credentials (or AWS_CONFIG_FILE /
// AWS_SHARED_CREDENTIALS_FILE), read with the SDK's own ini loader so names and sections are
// understood exactly as the credential providers will.
import { loadSharedConfigFiles } from '@smithy/shared-ini-file-loader';

export type ProfileKind = 'sso' | 'process' | 'keys' | 'role' | 'other';

export interface AwsProfileInfo {
  readonly name: string;
  readonly kind: ProfileKind;
  readonly region?: string;
  /** Where it was found. */
  readonly sources: readonly ('config' | 'credentials')[];
}

type Section = Record<string, string | undefined>;

function kindOf(section: Section): ProfileKind {
  if (section.sso_session || section.sso_start_url || section.sso_account_id) return 'sso';
  if (section.credential_process) return 'process';
  if (section.role_arn) return 'role';
  if (section.aws_access_key_id) return 'keys';
  return 'other';
}

export interface ProfileFiles {
  readonly configFilepath?: string;
  readonly filepath?: string;
}

/** Profiles sorted by name, `default` first. */
export async function listProfiles(files: ProfileFiles = {}): Promise<AwsProfileInfo[]> {
  const { configFile, credentialsFile } = await loadSharedConfigFiles({ ...files, ignoreCache: true });
  const names = new Set([...Object.keys(configFile), ...Object.keys(credentialsFile)]);
  const out: AwsProfileInfo[] = [];
  for (const name of names) {
    // sso-session and services sections come back prefixed (`sso-session.x`): they are not profiles.
    if (/^(sso-session|services)\./.test(name)) continue;
    const conf = (configFile[name] ?? {}) as Section;
    const cred = (credentialsFile[name] ?? {}) as Section;
    const sources: ('config' | 'credentials')[] = [];
    if (configFile[name]) sources.push('config');
    if (credentialsFile[name]) sources.push('credentials');
    const merged = { ...cred, ...conf };
    out.push({ name, kind: kindOf(merged), ...(merged.region ? { region: merged.region } : {}), sources });
  }
  return out.sort((a, b) => (a.name === 'default' ? -1 : b.name === 'default' ? 1 : a.name.localeCompare(b.name)));
}
