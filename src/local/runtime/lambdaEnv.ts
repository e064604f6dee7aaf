// Which of this machine's environment variables a handler may see. Lambda gives a function
// its own variables and the runtime's, never the caller's shell: tokens, AWS keys and editor
// variables of the person running the tool stay out. Only what a local interpreter needs to
// start and to find the profile named in the project file passes through.
import * as path from 'path';
import type { AuthorizerConfig } from '../../core/project';

/** Needed to find and start the interpreter (PATH) and, on Windows, to run at all. */
const ALWAYS_PASSED = ['PATH', 'SYSTEMROOT', 'WINDIR', 'COMSPEC', 'PATHEXT', 'TEMP', 'TMP'];
/** Passed only when the project names an AWS profile, so the SDK can read ~/.aws. */
const PROFILE_FILES = ['HOME', 'USERPROFILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE'];

/** The subset of `parent` a handler's worker starts with (names compared case-insensitively, as Windows does). */
export function hostVariablesForHandler(parent: NodeJS.ProcessEnv, config: AuthorizerConfig): Record<string, string> {
  const wanted = new Set([...ALWAYS_PASSED, ...(config.aws.profile ? PROFILE_FILES : [])]);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(parent)) if (v !== undefined && wanted.has(k.toUpperCase())) env[k] = v;
  return env;
}

/** Lambda's `_HANDLER`: the handler's module path without extension, a dot, the function. */
export function lambdaHandlerSetting(config: AuthorizerConfig): string {
  const file = config.handler.slice(0, config.handler.lastIndexOf(':'));
  const withoutExt = file.slice(0, file.length - path.extname(file).length);
  return `${withoutExt.replace(/^\.\//, '')}.${config.handlerFunction}`;
}
