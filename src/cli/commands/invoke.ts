import * as path from 'path';
import { CliCommand, optionValue, UsageError } from '../args';
import { AWS_ACCOUNT_ID_PATTERN, AWS_REGION_PATTERN, LAMBDA_MAX_TIMEOUT_MS, LAMBDA_TIMEOUT_MS, PROJECT_FILE_NAME, PYTHON_PATH_CLI_OPTION } from '../../core/constants';
import { formatInvocationResult } from '../../core/format';
import { findProjectFile } from '../../core/project';
import { neutralizeControlsDeep } from '../../core/terminalText';
import type { InvocationResult } from '../../core/result';
import { invokeEventFile } from '../../local/invokeAuthorizer';
import { LocalRuntime } from '../../local/runtime';

const SETUP_ERRORS: readonly string[] = ['HANDLER_FILE_NOT_FOUND', 'INTERPRETER_NOT_FOUND', 'TYPESCRIPT_COMPILER_NOT_FOUND'];

/** 0: AWS accepts the answer (allowed or denied); 1: AWS would reject or never invoke; 2: bad input. */
export function invokeExitCode(result: InvocationResult): number {
  if (result.outcome === 'allowed' || result.outcome === 'denied') return 0;
  // The handler never ran because of this machine's setup, not because of what it does.
  if (result.error && SETUP_ERRORS.includes(result.error.code)) return 2;
  return result.outcome === 'request-error' ? 2 : 1;
}

export const invokeCommand: CliCommand = {
  name: 'invoke',
  summary: 'Run a test event through the authorizer handler locally, check the answer and evaluate its policies.',
  usage: 'iot-authz invoke --event FILE [--project FILE] [--authorizer NAME] [--json] [--python PATH] [--timeout MS] [--region R] [--account A]',
  options: [
    { name: 'event', value: 'FILE', description: 'The test event (*.authz.json) to run.' },
    { name: 'project', value: 'FILE', description: `The project file (default: ${PROJECT_FILE_NAME} here or in a folder above, else above the event file).` },
    { name: 'authorizer', value: 'NAME', description: 'Send the request to this authorizer instead of the one the event names.' },
    { name: 'json', description: 'Print the whole result object as JSON.' },
    { name: PYTHON_PATH_CLI_OPTION.slice(2), value: 'PATH', description: 'The Python interpreter for Python handlers (default: python3).' },
    { name: 'timeout', value: 'MS', description: `Limit for the handler call in milliseconds (default ${LAMBDA_TIMEOUT_MS}, AWS's limit).` },
    { name: 'region', value: 'R', description: "Region of the policy ARNs (default: the authorizer's aws.region, else us-east-1)." },
    { name: 'account', value: 'A', description: 'Account id of the policy ARNs (default: from aws.roleArn, else AWS_ACCOUNT_ID, else 123456789012).' },
  ],
  details: `Exit codes: 0 the answer is valid (allowed or denied), 1 AWS would reject it (invalid response,
handler error or timeout, signature rejected), 2 bad input (no project file, event file errors, unknown authorizer,
missing handler file, interpreter not found).
The MQTT password never appears in the output.`,
  async run(args, io) {
    const event = optionValue(args, 'event');
    if (event === undefined) throw new UsageError(`missing --event FILE. Usage: ${invokeCommand.usage}`);
    const timeout = optionValue(args, 'timeout');
    if (timeout !== undefined && !/^[1-9]\d*$/.test(timeout)) throw new UsageError(`--timeout ${timeout}: give a whole number of milliseconds, e.g. ${LAMBDA_TIMEOUT_MS}.`);
    if (timeout !== undefined && Number(timeout) > LAMBDA_MAX_TIMEOUT_MS) {
      throw new UsageError(`--timeout ${timeout}: at most ${LAMBDA_MAX_TIMEOUT_MS} ms (Lambda's 15-minute limit; AWS IoT itself waits ${LAMBDA_TIMEOUT_MS} ms).`);
    }
    const region = optionValue(args, 'region');
    if (region !== undefined && !AWS_REGION_PATTERN.test(region)) throw new UsageError(`--region ${region}: not a region name such as eu-west-1.`);
    const accountId = optionValue(args, 'account');
    if (accountId !== undefined && !AWS_ACCOUNT_ID_PATTERN.test(accountId)) throw new UsageError(`--account ${accountId}: an AWS account id is 12 digits.`);
    const given = optionValue(args, 'project');
    const projectFile = given !== undefined ? path.resolve(io.cwd, given) : findProjectFile(io.cwd);
    const pythonPath = optionValue(args, PYTHON_PATH_CLI_OPTION.slice(2));

    const runtime = new LocalRuntime(pythonPath !== undefined ? { pythonPath } : {});
    let result: InvocationResult;
    try {
      result = await invokeEventFile(runtime, {
        eventFile: path.resolve(io.cwd, event),
        projectFile,
        authorizerName: optionValue(args, 'authorizer'),
        invoke: timeout !== undefined ? { timeoutMs: Number(timeout) } : undefined,
        policyContext: { region, accountId },
      });
    } finally {
      await runtime.dispose();
    }
    const code = invokeExitCode(result);
    if (args.flags.has('json')) io.stdout(JSON.stringify(result, null, 2) + '\n');
    else {
      const color = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
      (code === 2 ? io.stderr : io.stdout)(formatInvocationResult(neutralizeControlsDeep(result), { color }));
    }
    return code;
  },
};
