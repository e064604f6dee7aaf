import { CliCommand, optionValue } from '../args';
import { formatPlan } from '../../core/deployPlan';
import type { DeployReport } from '../../aws';
import { invokeAuthorizer } from '../../local/invokeAuthorizer';
import { LocalRuntime } from '../../local/runtime';
import { loadAws } from '../../loadAws';
import { AWS_OPTIONS, clientFactoryFor, loadProjectFor, pickProjectAuthorizer, PROJECT_OPTION } from './awsOptions';
import { PASSPHRASE_ENV_OPTION, workspaceSignerFor } from './sign';

/** 0 deployed or nothing to do; 1 a step failed, or the deploy was cancelled or not confirmed; 2 bad input (incl. a plan AWS would refuse). */
export function deployExitCode(report: DeployReport, refusedWithoutTty: boolean): number {
  if (refusedWithoutTty) return 2;
  if (report.outcome === 'done' || report.outcome === 'nothing-to-do') return 0;
  if (report.outcome === 'blocked' || report.failure?.phase === 'package') return 2;
  return 1;
}

export const deployCommand: CliCommand = {
  name: 'deploy',
  summary: 'Deploy an authorizer of iot-authorizer.json to AWS: Lambda function, invoke permission, authorizer; then test-invoke it.',
  usage: 'iot-authz deploy [--authorizer NAME] [--profile P] [--region R] [--endpoint-url URL] [--set-default] [--create-role] [--passphrase-env VAR] [--yes] [--json]',
  options: [
    { name: 'authorizer', value: 'NAME', description: 'The authorizer to deploy (needed when the project has several).' },
    PROJECT_OPTION,
    ...AWS_OPTIONS,
    { name: 'set-default', description: "Also make it the account's default authorizer (used when a device names none)." },
    {
      name: 'create-role',
      description: 'With no "aws.roleArn" and no function yet: use or create the execution role iot-authz-NAME-role (Lambda may assume it; AWSLambdaBasicExecutionRole only).',
    },
    { name: 'yes', description: 'Apply the plan without asking (needed when standard input is not a terminal).' },
    { name: 'no-test-invoke', description: 'Skip the test-invoke after deploying.' },
    { ...PASSPHRASE_ENV_OPTION, description: 'The passphrase of encrypted workspace keys, for signing the test-invoke: read from environment variable VAR.' },
    { name: 'json', description: 'Print the deploy report (plan, steps, test-invoke result) as JSON.' },
  ],
  details: `Prints the plan (account, region, what is created, updated or left alone) and asks before changing
anything; without a terminal, give --yes. Running it again with nothing changed changes nothing.
After a deploy that changed something, it test-invokes the authorizer with its first test event
(*.authz.json) that a local run allows, else its first one; with none, a made-up signed token.
Exit codes: 0 deployed or nothing to do, 1 a step failed (the message names it and what was left as
it was) or the plan was not confirmed, 2 bad input (project errors, unknown authorizer, a plan AWS
would refuse such as a runtime it no longer accepts, no terminal and no --yes).`,
  async run(args, io) {
    const project = loadProjectFor(args, io, true);
    if (!project) return 2;
    const config = pickProjectAuthorizer(project, optionValue(args, 'authorizer'));
    const factory = clientFactoryFor(args, config);
    const json = args.flags.has('json');
    const out = (t: string) => (json ? io.stderr(t) : io.stdout(t));
    let refused = false;
    // The test-invoke signs with the workspace's keys: an encrypted one needs its passphrase.
    const sign = workspaceSignerFor(args, project.dir);
    // The deploy's test-invoke runs the test events locally to send one the handler allows.
    const runtime = new LocalRuntime();
    try {
      const report = await loadAws().deployAuthorizer({
        project,
        authorizer: config,
        factory,
        setDefault: args.flags.has('set-default'),
        createRole: args.flags.has('create-role'),
        testInvoke: !args.flags.has('no-test-invoke'),
        sign,
        runLocally: (request, policyContext) => invokeAuthorizer(runtime, { project, request, policyContext, sign }),
        log: (line) => out(`${line}\n`),
        confirm: async (plan) => {
          out(`Plan for ${config.name}:\n${formatPlan(plan)}`);
          if (args.flags.has('yes')) return true;
          if (!io.interactive || !io.prompt) {
            refused = true;
            io.stderr('iot-authz deploy: standard input is not a terminal, so there is no one to confirm the plan: run again with --yes to apply it.\n');
            return false;
          }
          const answer = (await io.prompt('Apply this plan? [y/N] ')).trim().toLowerCase();
          return answer === 'y' || answer === 'yes';
        },
      });
      if (report.outcome === 'blocked' || report.outcome === 'nothing-to-do') out(formatPlan(report.plan ?? { accountId: '', region: '', functionArn: '', authorizerArn: '', statementId: '', steps: [], blockers: [], warnings: [], runtime: { standing: 'unknown' } }));
      if (json) io.stdout(JSON.stringify(report, null, 2) + '\n');
      const code = deployExitCode(report, refused);
      (code === 0 ? out : io.stderr)(`${report.summary}\n`);
      return code;
    } finally {
      factory.destroy();
      await runtime.dispose();
    }
  },
};
