import * as path from 'path';
import { CliCommand, CliIO, optionValue, ParsedArgs, UsageError } from '../args';
import { MAX_SIGNATURE_LENGTH, MAX_TOKEN_LENGTH } from '../../core/constants';
import { EventProblem, resolveDeviceRequest, workspacePublicKeys } from '../../core/events';
import { formatInvocationResult } from '../../core/format';
import type { AuthorizerConfig, AuthorizerProject } from '../../core/project';
import type { InvocationResult } from '../../core/result';
import { loadTestEvent } from '../../core/testEvent';
import { signToken } from '../../core/tokens';
import { invokeAuthorizer } from '../../local/invokeAuthorizer';
import { LocalRuntime } from '../../local/runtime';
import { loadAws } from '../../loadAws';
import { AWS_OPTIONS, clientFactoryFor, loadProjectFor, PROJECT_OPTION } from './awsOptions';
import { invokeExitCode } from './invoke';
import { loadPrivateKeyArg, PASSPHRASE_ENV_OPTION, passphraseFromEnv, workspaceSignerFor } from './sign';

/** --key: a PEM file when one exists at that path, else a key of the workspace key store; --passphrase-env decrypts it. */
async function signWith(args: ParsedArgs, key: string, token: string, io: CliIO, project: AuthorizerProject | undefined): Promise<string> {
  return signToken(token, (await loadPrivateKeyArg(args, io, key, project?.dir)).keyObject);
}

function checkLimits(args: ParsedArgs): void {
  const token = optionValue(args, 'token');
  if (token !== undefined && token.length > MAX_TOKEN_LENGTH)
    throw new UsageError(`--token is ${token.length} characters; AWS accepts at most ${MAX_TOKEN_LENGTH}.`);
  const sig = optionValue(args, 'signature');
  if (sig !== undefined && sig.length > MAX_SIGNATURE_LENGTH)
    throw new UsageError(`--signature is ${sig.length} characters; AWS accepts at most ${MAX_SIGNATURE_LENGTH}.`);
}

export const testInvokeCommand: CliCommand = {
  name: 'test-invoke',
  summary: 'Test-invoke an authorizer in AWS (TestInvokeAuthorizer) and check its answer like a local run.',
  usage:
    'iot-authz test-invoke --authorizer NAME (--token T (--signature S | --key K) | --event FILE) [--passphrase-env VAR] [--json] [--profile P] [--region R] [--endpoint-url URL]',
  options: [
    { name: 'authorizer', value: 'NAME', description: 'The authorizer in AWS.' },
    { name: 'token', value: 'T', description: 'The token to send.' },
    { name: 'signature', value: 'S', description: 'The token signature (base64).' },
    {
      name: 'key',
      value: 'K',
      description: 'Sign the token (or the event\'s {"sign"} values) with this private key: a PEM file, or a key name of the workspace key store.',
    },
    { name: 'event', value: 'FILE', description: "Send a test event's request (*.authz.json) as httpContext/mqttContext/tlsContext instead of a token." },
    PASSPHRASE_ENV_OPTION,
    PROJECT_OPTION,
    ...AWS_OPTIONS,
    { name: 'json', description: 'Print the whole result object as JSON.' },
  ],
  details: `AWS takes either a token with its signature, or a request context that carries them, never both:
give --token or --event. When AWS refuses the signature (InvalidRequestException) or the handler's answer
(InvalidResponseException), the same request is checked locally to say why.
Exit codes: 0 AWS answered (allowed or denied), 1 AWS refused the signature or the answer, 2 bad input.`,
  async run(args, io) {
    const name = optionValue(args, 'authorizer');
    if (name === undefined) throw new UsageError(`missing --authorizer NAME. Usage: ${testInvokeCommand.usage}`);
    checkLimits(args);
    passphraseFromEnv(args); // a named variable that is not set is bad input before anything is sent
    const token = optionValue(args, 'token');
    const eventFile = optionValue(args, 'event');
    const signature = optionValue(args, 'signature');
    const key = optionValue(args, 'key');
    if (token !== undefined && eventFile !== undefined)
      throw new UsageError(
        'give --token or --event, not both: AWS refuses a token together with a request context ("Request cannot have token and Http/Mqtt/Tls context").',
      );
    if (token === undefined && eventFile === undefined)
      throw new UsageError(`give --token T with --signature S or --key K, or --event FILE. Usage: ${testInvokeCommand.usage}`);
    if (token !== undefined && (signature === undefined) === (key === undefined))
      throw new UsageError('with --token, give exactly one of --signature S and --key K.');
    const project = loadProjectFor(args, io, eventFile !== undefined);
    const config: AuthorizerConfig | undefined = project?.authorizers.find((a) => a.name === name);
    if (eventFile !== undefined && !config)
      throw new UsageError(
        `--event needs the authorizer "${name}" in ${project?.file ?? 'iot-authorizer.json'}: its token key name and keys place the event's credentials.`,
      );

    const aws = loadAws();
    const factory = clientFactoryFor(args, config);
    const runtime = new LocalRuntime();
    try {
      const target = await aws.resolveTarget(factory);
      const iot = new aws.IotAuthorizers(factory.iot(), factory.settings.profile);
      const keys = project && config ? (await workspacePublicKeys(project.dir, config)).keys : [];
      const dataEndpoint = (await iot.describeDataEndpoint().catch(() => '')) || undefined;
      const runLocally = project
        ? async (request: Parameters<typeof invokeAuthorizer>[1]['request']): Promise<InvocationResult> =>
            invokeAuthorizer(runtime, {
              project,
              request,
              sign: key !== undefined ? (_k: string, t: string) => signWith(args, key, t, io, project) : workspaceSignerFor(args, project.dir),
              policyContext: { region: target.region, accountId: target.accountId },
            })
        : undefined;
      let result: InvocationResult;
      if (token !== undefined) {
        const sig = signature ?? (await signWith(args, key as string, token, io, project));
        result = await aws.testInvokeInAws({
          iot,
          target,
          authorizerName: name,
          input: { kind: 'token', token, signature: sig },
          publicKeys: keys,
          ...(dataEndpoint ? { dataEndpoint } : {}),
          ...(runLocally ? { runLocally } : {}),
          ...(config?.tokenKeyName ? { tokenKeyName: config.tokenKeyName } : {}),
        });
      } else {
        const file = path.resolve(io.cwd, eventFile as string);
        const parsed = loadTestEvent(file);
        const errors = parsed.issues.filter((i) => i.severity === 'error');
        if (!parsed.request || errors.length)
          throw new UsageError(`${file} has errors:\n${errors.map((i) => `  ${file}:${i.line}:${i.column}: ${i.message}`).join('\n')}`);
        const problems: EventProblem[] = [];
        const signer =
          key !== undefined ? (_k: string, t: string) => signWith(args, key, t, io, project) : workspaceSignerFor(args, (project as AuthorizerProject).dir);
        const request = await resolveDeviceRequest({ ...parsed.request, authorizer: name }, config as AuthorizerConfig, signer, problems);
        const bad = problems.find((p) => p.severity === 'error');
        if (bad) throw new UsageError(`${file}: ${bad.field ? `${bad.field}: ` : ''}${bad.message}`);
        result = await aws.testInvokeInAws({
          iot,
          target,
          authorizerName: name,
          input: { kind: 'context', request },
          publicKeys: keys,
          ...(config?.tokenKeyName ? { tokenKeyName: config.tokenKeyName } : {}),
          ...(config?.signingDisabled ? { signingDisabled: true } : {}),
          ...(dataEndpoint ? { dataEndpoint } : {}),
          ...(runLocally ? { runLocally } : {}),
          source: { eventFile: file, ...(project ? { projectFile: project.file } : {}) },
        });
      }
      const code = invokeExitCode(result);
      if (args.flags.has('json')) io.stdout(JSON.stringify(result, null, 2) + '\n');
      else {
        const color = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
        (code === 2 ? io.stderr : io.stdout)(formatInvocationResult(result, { color }));
      }
      return code;
    } finally {
      factory.destroy();
      await runtime.dispose();
    }
  },
};
