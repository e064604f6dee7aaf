// Options every AWS-facing command shares, and the project lookup they start from.
import * as path from 'path';
import { CliIO, OptionSpec, optionValue, ParsedArgs, UsageError } from '../args';
import { AWS_ENDPOINT_URL_OPTION, AWS_REGION_PATTERN, PROJECT_FILE_NAME } from '../../core/constants';
import { AuthorizerConfig, AuthorizerProject, findProjectFile, loadProject } from '../../core/project';
import type { AwsClientFactory } from '../../aws';
import { loadAws } from '../../loadAws';

export const AWS_OPTIONS: readonly OptionSpec[] = [
  { name: 'profile', value: 'P', description: 'The AWS profile (~/.aws/config, ~/.aws/credentials; SSO and credential_process too). Default: the authorizer\'s aws.profile, else the SDK\'s default chain.' },
  { name: 'region', value: 'R', description: 'The AWS region. Default: the authorizer\'s aws.region, else the profile\'s.' },
  { name: AWS_ENDPOINT_URL_OPTION.slice(2), value: 'URL', description: 'Send every AWS call to this endpoint (the local endpoint, LocalStack) instead of AWS.' },
];

export const PROJECT_OPTION: OptionSpec = { name: 'project', value: 'FILE', description: `The project file (default: ${PROJECT_FILE_NAME} here or in a folder above).` };

/** Loads the project file (given or found from the working folder); errors are bad input. */
export function loadProjectFor(args: ParsedArgs, io: CliIO, required: boolean): AuthorizerProject | undefined {
  const given = optionValue(args, 'project');
  const file = given !== undefined ? path.resolve(io.cwd, given) : findProjectFile(io.cwd);
  if (!file) {
    if (!required) return undefined;
    throw new UsageError(`no ${PROJECT_FILE_NAME} in ${io.cwd} or any folder above it: run in the project, or give --project FILE.`);
  }
  const loaded = loadProject(file);
  const errors = loaded.issues.filter((i) => i.severity === 'error');
  if (!loaded.project || errors.length > 0) {
    throw new UsageError(`${file} has errors:\n${errors.map((i) => `  ${file}:${i.line}:${i.column}: ${i.jsonPath ? `${i.jsonPath}: ` : ''}${i.message}`).join('\n')}`);
  }
  return loaded.project;
}

export function pickProjectAuthorizer(project: AuthorizerProject, name: string | undefined): AuthorizerConfig {
  const known = project.authorizers.map((a) => a.name).join(', ') || 'none';
  if (name === undefined) {
    if (project.authorizers.length === 1) return project.authorizers[0];
    throw new UsageError(`${project.file} defines several authorizers (${known}): name one with --authorizer NAME.`);
  }
  const found = project.authorizers.find((a) => a.name === name);
  if (!found) throw new UsageError(`no authorizer "${name}" in ${project.file} (known: ${known}).`);
  return found;
}

/** The client factory for the options, falling back to the authorizer's aws settings. */
export function clientFactoryFor(args: ParsedArgs, config?: AuthorizerConfig): AwsClientFactory {
  const region = optionValue(args, 'region') ?? config?.aws.region;
  if (region !== undefined && !AWS_REGION_PATTERN.test(region)) throw new UsageError(`--region ${region}: not a region name such as eu-west-1.`);
  const profile = optionValue(args, 'profile') ?? config?.aws.profile;
  const endpointUrl = optionValue(args, AWS_ENDPOINT_URL_OPTION.slice(2));
  return loadAws().createAwsClientFactory({
    ...(region !== undefined ? { region } : {}),
    ...(profile !== undefined ? { profile } : {}),
    ...(endpointUrl !== undefined ? { endpointUrl } : {}),
  });
}
