// The AWS commands: pick the target, deploy from iot-authorizer.json (plan, modal confirmation,
// cancellable progress, each step in the output channel), test-invoke (token signed with a
// workspace key, typed, or a test event's request), and the actions on an authorizer in the
// account. Results go to the run store, so the results panel shows AWS runs like local ones.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { AWS_REGION_PATTERN, PROJECT_FILE_NAME } from '../core/constants';
import { authorizerConsoleUrl, keysWithAdded, keysWithRemoved, MAX_AUTHORIZER_KEYS } from '../core/awsAuthorizerActions';
import { formatPlan } from '../core/deployPlan';
import { matchAwsKeys } from '../core/keyMatch';
import { newestRuntime } from '../core/lambdaRuntimes';
import { pullAuthorizerIntoProject, PullResult } from '../core/pullAuthorizer';
import { UserError } from '../core/errors';
import { resolveDeviceRequest, EventProblem, workspacePublicKeys } from '../core/events';
import { formatInvocationResult } from '../core/format';
import { listKeys, readPrivateKey, readPublicKey } from '../core/keyStore';
import type { AuthorizerConfig, AuthorizerProject } from '../core/project';
import type { InvocationResult } from '../core/result';
import { findTestEventFiles, loadTestEvent, DeviceRequest } from '../core/testEvent';
import { importPublicKey } from '../core/keys';
import { signToken } from '../core/tokens';
import { invokeAuthorizer } from '../local/invokeAuthorizer';
import type { AwsClientFactory, AwsTarget, DeployReport } from '../aws';
import { asRecord, authorizerNameOf } from './commandArgs';
import { AwsTargetStore, openSignInTerminal, showAwsError } from './awsTarget';
import { AwsAuthorizerNode, AwsTree } from './awsTree';
import { runCommand, type CommandHandlers } from './commands';
import type { Services } from './features';
import { createWorkspaceSigner } from './keySource';
import { LocalRuntimeHost } from './localRuntimeHost';

const COMMON_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-2',
  'eu-west-1',
  'eu-central-1',
  'eu-west-2',
  'eu-north-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-northeast-1',
  'ap-south-1',
  'ca-central-1',
  'sa-east-1',
];

interface LocalAuthorizer {
  readonly authorizer: AuthorizerConfig;
  readonly project: AuthorizerProject;
}

function importFingerprint(pem: string): string {
  return importPublicKey(pem).fingerprint;
}

function awsNodeOf(arg: unknown): AwsAuthorizerNode | undefined {
  const r = asRecord(arg);
  return r.kind === 'awsAuthorizer' ? (arg as AwsAuthorizerNode) : undefined;
}

export class AwsFeature implements vscode.Disposable {
  readonly targets: AwsTargetStore;
  readonly tree: AwsTree;
  private readonly runtime = new LocalRuntimeHost();

  constructor(private readonly s: Services) {
    this.targets = new AwsTargetStore(s.context.workspaceState);
    this.tree = new AwsTree(
      this.targets,
      () => (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
      () => s.explorer.refresh(),
    );
    s.explorer.attachAws(this.tree);
    this.targets.onDidChange(() => this.tree.refresh());
  }

  /** Shows the target in the status bar (features load on first use, never at activation). */
  register(): void {
    this.targets.showStatus();
  }

  handlers() {
    return {
      'iotAuthz.aws.selectTarget': () => this.selectTarget(),
      'iotAuthz.aws.refresh': () => {
        this.tree.refresh();
        return 'refreshed';
      },
      'iotAuthz.aws.signIn': (command?: unknown) => {
        const t = this.targets.get();
        openSignInTerminal(
          typeof command === 'string' && command.startsWith('aws ') ? command : t.profile ? `aws sso login --profile ${t.profile}` : 'aws sso login',
        );
      },
      'iotAuthz.aws.deploy': (arg?: unknown) => this.guard('Deploy to AWS', () => this.deploy(arg)),
      'iotAuthz.aws.testInvoke': (arg?: unknown) => this.guard('Test-Invoke in AWS', () => this.testInvoke(arg)),
      'iotAuthz.aws.setDefault': (arg?: unknown) =>
        this.guard('Set as Default Authorizer', () =>
          this.onAuthorizer(arg, async (iot, name) => iot.setDefaultAuthorizer(name), 'is now the default authorizer'),
        ),
      'iotAuthz.aws.activate': (arg?: unknown) =>
        this.guard('Activate', () => this.onAuthorizer(arg, async (iot, name) => iot.setStatus(name, 'ACTIVE'), 'is ACTIVE')),
      'iotAuthz.aws.deactivate': (arg?: unknown) =>
        this.guard('Deactivate', () => this.onAuthorizer(arg, async (iot, name) => iot.setStatus(name, 'INACTIVE'), 'is INACTIVE')),
      'iotAuthz.aws.delete': (arg?: unknown) => this.guard('Delete Authorizer', () => this.deleteAuthorizer(arg)),
      'iotAuthz.aws.copyArn': async (arg?: unknown) => {
        const node = await this.pickAwsAuthorizer(arg);
        if (!node) return undefined;
        await vscode.env.clipboard.writeText(node.details.arn);
        vscode.window.setStatusBarMessage(`$(copy) Copied ${node.details.arn}`, 5000);
        return node.details.arn;
      },
      'iotAuthz.aws.openConsole': async (arg?: unknown) => {
        const node = await this.pickAwsAuthorizer(arg);
        if (!node) return undefined;
        const url = authorizerConsoleUrl(node.details.arn);
        await vscode.env.openExternal(vscode.Uri.parse(url, true));
        vscode.window.setStatusBarMessage(`$(link-external) ${node.details.name} is listed on the Custom authorizers page of ${node.target.region}`, 8000);
        return url;
      },
      'iotAuthz.aws.rotatePublicKey': (arg?: unknown) => this.guard('Rotate Public Key', () => this.rotatePublicKey(arg)),
      'iotAuthz.aws.removePublicKey': (arg?: unknown) => this.guard('Remove Public Key', () => this.removePublicKey(arg)),
      'iotAuthz.aws.pullIntoProject': (arg?: unknown) => this.guard('Pull into iot-authorizer.json', () => this.pullIntoProject(arg)),
      'iotAuthz.aws.showDetails': async (arg?: unknown) => {
        const node = await this.pickAwsAuthorizer(arg);
        if (!node) return undefined;
        const doc = await vscode.workspace.openTextDocument({
          language: 'json',
          content: JSON.stringify({ ...node.details, isDefault: node.isDefault, accountId: node.target.accountId, region: node.target.region }, null, 2),
        });
        await vscode.window.showTextDocument(doc, { preview: true });
        return doc;
      },
    } satisfies Partial<CommandHandlers>;
  }

  /** AWS problems as one message (with "Sign In" when that is the fix), never a stack trace. */
  private async guard<T>(what: string, run: () => Promise<T>): Promise<T | undefined> {
    try {
      return await run();
    } catch (e) {
      this.s.log.error(`${what}: ${e instanceof Error ? e.message : String(e)}`);
      showAwsError(e, what);
      return undefined;
    }
  }

  // --- target --------------------------------------------------------------------------------

  async selectTarget(): Promise<string | undefined> {
    const profiles = await this.targets
      .aws()
      .listProfiles()
      .catch(() => []);
    const current = this.targets.get();
    const pick = await vscode.window.showQuickPick(
      [
        {
          label: '$(key) Default credentials',
          description: 'environment variables, the default profile, SSO, instance role',
          profile: undefined as string | undefined,
          region: undefined as string | undefined,
        },
        ...profiles.map((p) => ({
          label: p.name,
          description: [p.kind, p.region].filter(Boolean).join(' · '),
          profile: p.name as string | undefined,
          region: p.region,
        })),
      ],
      { title: 'AWS profile for this workspace', placeHolder: current.profile ? `Now: ${current.profile}` : 'Now: default credentials' },
    );
    if (!pick) return undefined;
    const regionPick = await vscode.window.showQuickPick(
      [...new Set([pick.region, current.region, ...COMMON_REGIONS].filter((r): r is string => r !== undefined))].map((r) => ({ label: r })),
      { title: 'AWS region', placeHolder: 'Pick or type a region' },
    );
    if (!regionPick) return undefined;
    if (!AWS_REGION_PATTERN.test(regionPick.label)) throw new UserError(`"${regionPick.label}" is not a region name such as eu-west-1.`, 'AWS_REGION_INVALID');
    await this.targets.update({ ...(pick.profile ? { profile: pick.profile } : {}), region: regionPick.label });
    return this.targets.label();
  }

  // --- deploy --------------------------------------------------------------------------------

  private async pickLocalAuthorizer(arg: unknown, placeHolder: string): Promise<LocalAuthorizer | undefined> {
    const all = this.s.projects.authorizers();
    const name = authorizerNameOf(arg);
    if (name !== undefined) {
      const found = all.find((a) => a.authorizer.name === name);
      if (!found) throw new UserError(`No authorizer named "${name}" in ${PROJECT_FILE_NAME}.`, 'AUTHORIZER_NOT_FOUND');
      return found;
    }
    if (all.length === 0)
      throw new UserError(`This workspace has no ${PROJECT_FILE_NAME} with authorizers: create one with "New Authorizer…".`, 'PROJECT_NOT_FOUND');
    if (all.length === 1) return all[0];
    const pick = await vscode.window.showQuickPick(
      all.map((a) => ({ label: a.authorizer.name, description: a.authorizer.handler, a })),
      { placeHolder },
    );
    return pick?.a;
  }

  async deploy(arg?: unknown): Promise<DeployReport | undefined> {
    const chosen = await this.pickLocalAuthorizer(arg, 'Authorizer to deploy');
    if (!chosen) return undefined;
    const { authorizer, project } = chosen;
    const factory = this.targets.factory({
      ...(authorizer.aws.profile ? { profile: authorizer.aws.profile } : {}),
      ...(authorizer.aws.region ? { region: authorizer.aws.region } : {}),
    });
    const log = this.s.log;
    log.info(`Deploy ${authorizer.name} to ${this.targets.label()}`);
    try {
      const report = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Deploying ${authorizer.name}`, cancellable: true },
        async (progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          return this.targets.aws().deployAuthorizer({
            project,
            authorizer,
            factory,
            createRole: asRecord(arg).createRole === true,
            signal: abort.signal,
            sign: createWorkspaceSigner(this.s, project.dir),
            runLocally: (request, policyContext) =>
              invokeAuthorizer(this.runtime.get(), { project, request, sign: createWorkspaceSigner(this.s, project.dir), policyContext }),
            log: (line) => {
              log.info(line);
              progress.report({ message: line.replace(/^[✓✗·]\s*/, '') });
            },
            confirm: async (plan) => {
              const text = formatPlan(plan);
              log.info(`Plan:\n${text}`);
              // Programmatic callers (tests, other extensions) may pass {yes: true}, like the CLI's --yes.
              if (asRecord(arg).yes === true) return true;
              const answer = await vscode.window.showWarningMessage(
                `Deploy ${authorizer.name} to ${plan.accountId} · ${plan.region}?`,
                { modal: true, detail: text },
                'Deploy',
              );
              return answer === 'Deploy';
            },
          });
        },
      );
      if (report.outcome === 'blocked' && asRecord(arg).createRole === undefined && /needs an execution role/.test(report.summary)) {
        const pick = await vscode.window.showWarningMessage(
          `${authorizer.name} has no execution role ("aws.roleArn" in ${PROJECT_FILE_NAME}).`,
          { modal: true, detail: 'Deploy can create a minimal one: Lambda may assume it, with AWSLambdaBasicExecutionRole (CloudWatch Logs) only. The plan shows it before anything changes.' },
          'Create Role and Deploy',
        );
        if (pick === 'Create Role and Deploy') return this.deploy({ ...asRecord(arg), authorizer: authorizer.name, createRole: true });
        return report;
      }
      if (report.testInvoke) await this.s.runs.add(report.testInvoke);
      if (report.outcome === 'done' || report.outcome === 'nothing-to-do') void vscode.window.showInformationMessage(report.summary);
      else if (report.outcome === 'declined') vscode.window.setStatusBarMessage('$(circle-slash) Deploy not confirmed: nothing changed', 8000);
      else {
        // Not awaited: the command returns its report while the message waits for the user.
        void vscode.window
          .showErrorMessage(report.summary, 'Show Output', ...(report.failure?.message && /aws sso login/.test(report.failure.message) ? ['Sign In'] : []))
          .then((pick) => {
            if (pick === 'Show Output') log.show();
            if (pick === 'Sign In') openSignInTerminal(/(aws sso login[^.,)]*)/.exec(report.failure?.message ?? '')?.[1] ?? 'aws sso login');
          });
      }
      this.tree.refresh();
      return report;
    } finally {
      factory.destroy();
    }
  }

  // --- test-invoke ---------------------------------------------------------------------------

  async testInvoke(arg?: unknown): Promise<InvocationResult | undefined> {
    const r = asRecord(arg);
    const node = awsNodeOf(arg);
    const argEvent =
      r.eventFile instanceof vscode.Uri
        ? r.eventFile.fsPath
        : typeof r.eventFile === 'string'
          ? r.eventFile
          : arg instanceof vscode.Uri
            ? arg.fsPath
            : undefined;
    const local = this.s.projects.authorizers();
    let name = node?.details.name ?? (typeof r.authorizer === 'string' ? r.authorizer : undefined);
    let eventFile = argEvent;
    if (eventFile && name === undefined) {
      const parsed = loadTestEvent(eventFile);
      name = parsed.request?.authorizer ?? (local.length === 1 ? local[0].authorizer.name : undefined);
    }
    if (name === undefined) {
      const picked = await vscode.window.showQuickPick(
        local.map((a) => ({ label: a.authorizer.name, description: 'from iot-authorizer.json' })),
        { placeHolder: 'Authorizer to test-invoke in AWS' },
      );
      name = picked?.label;
    }
    if (name === undefined) return undefined;
    const config = local.find((a) => a.authorizer.name === name);

    let input: { kind: 'token'; token: string; signature: string } | undefined;
    if (!eventFile) {
      const events = config ? findTestEventFiles(config.project.dir).filter((f) => (loadTestEvent(f).request?.authorizer ?? name) === name) : [];
      const keys = config && !config.authorizer.signingDisabled ? config.authorizer.signingKeys : [];
      type Choice = vscode.QuickPickItem & { run: () => Promise<void> };
      const choices: Choice[] = [
        ...keys.map((k): Choice => ({
          label: `$(key) Sign a token with key "${k}"`,
          run: async () => {
            const token = await vscode.window.showInputBox({ prompt: 'Token to sign and send', value: 'allow-device1' });
            if (token === undefined || !config) return;
            input = { kind: 'token', token, signature: signToken(token, (await readPrivateKey(config.project.dir, k)).keyObject) };
          },
        })),
        ...events.map((f): Choice => ({
          label: `$(file) ${path.basename(f)}`,
          description: "send the event's request as contexts",
          run: async () => {
            eventFile = f;
          },
        })),
        {
          label: '$(edit) Type a token and signature',
          run: async () => {
            const token = await vscode.window.showInputBox({ prompt: 'Token' });
            if (token === undefined) return;
            const signature = await vscode.window.showInputBox({ prompt: 'Token signature (base64)' });
            if (signature === undefined) return;
            input = { kind: 'token', token, signature };
          },
        },
      ];
      const choice = await vscode.window.showQuickPick(choices, { placeHolder: `What to send to ${name}` });
      if (!choice) return undefined;
      await choice.run();
      if (!input && !eventFile) return undefined;
    }

    const factory = this.targets.factory(
      config
        ? {
            ...(config.authorizer.aws.profile ? { profile: config.authorizer.aws.profile } : {}),
            ...(config.authorizer.aws.region ? { region: config.authorizer.aws.region } : {}),
          }
        : {},
    );
    try {
      const target = await this.targets.resolve(factory);
      const aws = this.targets.aws();
      const iot = new aws.IotAuthorizers(factory.iot(), factory.settings.profile);
      const publicKeys = config ? (await workspacePublicKeys(config.project.dir, config.authorizer)).keys : [];
      const dataEndpoint = (await iot.describeDataEndpoint().catch(() => '')) || undefined;
      const runLocally = config
        ? (request: DeviceRequest) =>
            invokeAuthorizer(this.runtime.get(), {
              project: config.project,
              request,
              sign: createWorkspaceSigner(this.s, config.project.dir),
              policyContext: { region: target.region, accountId: target.accountId },
            })
        : undefined;
      let result: InvocationResult;
      if (eventFile) {
        if (!config)
          throw new UserError(
            `Test-invoking with an event file needs "${name}" in ${PROJECT_FILE_NAME}: its token key name and keys place the credentials.`,
            'AUTHORIZER_NOT_FOUND',
          );
        result = await this.testInvokeEvent(iot, target, config, eventFile, publicKeys, runLocally, dataEndpoint);
      } else {
        result = await aws.testInvokeInAws({
          iot,
          target,
          authorizerName: name,
          input: input as { kind: 'token'; token: string; signature: string },
          publicKeys,
          ...(dataEndpoint ? { dataEndpoint } : {}),
          ...(runLocally ? { runLocally } : {}),
          ...(config?.authorizer.tokenKeyName ? { tokenKeyName: config.authorizer.tokenKeyName } : {}),
          ...(config ? { source: { projectFile: config.project.file } } : {}),
        });
      }
      this.s.log.append(`\n${formatInvocationResult(result)}`);
      await this.s.runs.add(result);
      return result;
    } finally {
      factory.destroy();
    }
  }

  private async testInvokeEvent(
    iot: InstanceType<ReturnType<AwsTargetStore['aws']>['IotAuthorizers']>,
    target: AwsTarget,
    config: LocalAuthorizer,
    eventFile: string,
    publicKeys: Awaited<ReturnType<typeof workspacePublicKeys>>['keys'],
    runLocally: ((request: DeviceRequest) => Promise<InvocationResult>) | undefined,
    dataEndpoint: string | undefined,
  ): Promise<InvocationResult> {
    const parsed = loadTestEvent(eventFile);
    const errors = parsed.issues.filter((i) => i.severity === 'error');
    if (!parsed.request || errors.length)
      throw new UserError(`${path.basename(eventFile)}:${errors[0]?.line ?? 1}: ${errors[0]?.message ?? 'not a test event'}`, 'EVENT_INVALID');
    const problems: EventProblem[] = [];
    const request = await resolveDeviceRequest(
      { ...parsed.request, authorizer: config.authorizer.name },
      config.authorizer,
      createWorkspaceSigner(this.s, config.project.dir),
      problems,
    );
    const bad = problems.find((p) => p.severity === 'error');
    if (bad) throw new UserError(`${path.basename(eventFile)}: ${bad.field ? `${bad.field}: ` : ''}${bad.message}`, 'EVENT_INVALID');
    return this.targets
      .aws()
      .testInvokeInAws({
        iot,
        target,
        authorizerName: config.authorizer.name,
        input: { kind: 'context', request },
        publicKeys,
        ...(config.authorizer.tokenKeyName ? { tokenKeyName: config.authorizer.tokenKeyName } : {}),
        ...(config.authorizer.signingDisabled ? { signingDisabled: true } : {}),
        ...(runLocally ? { runLocally } : {}),
        ...(dataEndpoint ? { dataEndpoint } : {}),
        source: { eventFile, projectFile: config.project.file },
      });
  }

  // --- actions on an authorizer in the account -----------------------------------------------

  private async pickAwsAuthorizer(arg: unknown): Promise<AwsAuthorizerNode | undefined> {
    const node = awsNodeOf(arg);
    if (node) return node;
    const loaded = await this.tree.authorizers();
    const named = asRecord(arg).authorizer;
    if (typeof named === 'string') {
      const d = loaded.authorizers.find((a) => a.name === named);
      if (!d) throw new UserError(`No authorizer named "${named}" in ${loaded.target.accountId} · ${loaded.target.region}: refresh the AWS node, or deploy it first.`, 'AUTHORIZER_NOT_FOUND');
      return { kind: 'awsAuthorizer', details: d, isDefault: d.name === loaded.defaultName, target: loaded.target };
    }
    const pick = await vscode.window.showQuickPick(
      loaded.authorizers.map((d) => ({ label: d.name, description: `${d.status ?? ''}${d.name === loaded.defaultName ? ' · default' : ''}`, d })),
      { placeHolder: `Authorizer in ${loaded.target.accountId} · ${loaded.target.region}` },
    );
    return pick ? { kind: 'awsAuthorizer', details: pick.d, isDefault: pick.d.name === loaded.defaultName, target: loaded.target } : undefined;
  }

  private async withIot<T>(run: (iot: InstanceType<ReturnType<AwsTargetStore['aws']>['IotAuthorizers']>, factory: AwsClientFactory) => Promise<T>): Promise<T> {
    const factory = this.targets.factory();
    try {
      return await run(new (this.targets.aws().IotAuthorizers)(factory.iot(), factory.settings.profile), factory);
    } finally {
      factory.destroy();
    }
  }

  private async onAuthorizer(
    arg: unknown,
    act: (iot: InstanceType<ReturnType<AwsTargetStore['aws']>['IotAuthorizers']>, name: string) => Promise<void>,
    done: string,
  ): Promise<string | undefined> {
    const node = await this.pickAwsAuthorizer(arg);
    if (!node) return undefined;
    await this.withIot((iot) => act(iot, node.details.name));
    this.tree.refresh();
    const message = `${node.details.name} ${done}.`;
    vscode.window.setStatusBarMessage(`$(check) ${message}`, 8000);
    return message;
  }

  /** An ACTIVE authorizer cannot be deleted: offer to deactivate it first instead of failing. */
  async deleteAuthorizer(arg: unknown): Promise<string | undefined> {
    const node = await this.pickAwsAuthorizer(arg);
    if (!node) return undefined;
    const name = node.details.name;
    if (node.details.status === 'ACTIVE') {
      const answer = await vscode.window.showWarningMessage(
        `${name} is ACTIVE, and AWS deletes only INACTIVE authorizers.`,
        { modal: true, detail: 'Deactivating it makes devices that use it fail to connect. You can deactivate it now and delete it, or only deactivate it.' },
        'Deactivate and Delete',
        'Deactivate Only',
      );
      if (!answer) return undefined;
      await this.withIot((iot) => iot.setStatus(name, 'INACTIVE'));
      if (answer === 'Deactivate Only') {
        this.tree.refresh();
        return `${name} is INACTIVE.`;
      }
    } else {
      const answer = await vscode.window.showWarningMessage(
        `Delete the authorizer ${name} from ${node.target.accountId} · ${node.target.region}?`,
        { modal: true, detail: 'The Lambda function and its permission stay.' },
        'Delete',
      );
      if (answer !== 'Delete') return undefined;
    }
    await this.withIot((iot) => iot.deleteAuthorizer(name));
    this.tree.refresh();
    return `${name} deleted.`;
  }

  /**
   * Adds a workspace key to the authorizer next to the key it has (AWS allows two), so devices can
   * move to the new key while the old one still works; then offers to remove the old one. With
   * two keys already, asks which one the new key replaces. Arguments for tests and scripts:
   * `{ authorizer node, keyName, replace?, yes? }`.
   */
  async rotatePublicKey(arg: unknown): Promise<string | undefined> {
    const node = await this.pickAwsAuthorizer(arg);
    if (!node) return undefined;
    const r = asRecord(arg);
    const d = node.details;
    if (d.signingDisabled) throw new UserError(`${d.name} has signing disabled: it has no public keys to rotate.`, 'SIGNING_DISABLED');
    const roots = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const stored = (await Promise.all(roots.map(async (root) => (await listKeys(root)).map((k) => ({ root, k })))))
      .flat()
      .filter((x) => x.k.hasPublicKey && x.k.fingerprint);
    const inAws = new Set(
      Object.values(d.publicKeys).map((pem) => {
        try {
          return importFingerprint(pem);
        } catch {
          return '';
        }
      }),
    );
    const candidates = stored.filter((x) => !inAws.has(x.k.fingerprint ?? ''));
    let chosen = typeof r.keyName === 'string' ? stored.find((x) => x.k.name === r.keyName) : undefined;
    if (typeof r.keyName === 'string' && !chosen)
      throw new UserError(`No workspace key named "${r.keyName}" with a public key: create one with "Generate Key Pair…".`, 'KEY_NOT_FOUND');
    if (!chosen) {
      if (candidates.length === 0)
        throw new UserError(`Every workspace key is already on ${d.name}: generate a new key pair ("Generate Key Pair…") to rotate to.`, 'NO_NEW_KEY');
      const pick = await vscode.window.showQuickPick(
        candidates.map((x) => ({ label: x.k.name, description: `${x.k.shortFingerprint ?? ''} · ${x.k.bits ?? '?'} bits`, x })),
        { title: `Rotate the public key of ${d.name}`, placeHolder: 'Workspace key to add to the authorizer' },
      );
      if (!pick) return undefined;
      chosen = pick.x;
    }
    let replace = typeof r.replace === 'string' ? r.replace : undefined;
    const current = Object.keys(d.publicKeys);
    if (replace === undefined && current.length >= MAX_AUTHORIZER_KEYS) {
      const pick = await vscode.window.showQuickPick(
        current.map((name) => ({ label: name, description: 'remove it to make room' })),
        { title: `${d.name} has ${MAX_AUTHORIZER_KEYS} keys, the most AWS allows`, placeHolder: `Key that ${chosen.k.name} replaces (devices signing with it stop connecting)` },
      );
      if (!pick) return undefined;
      replace = pick.label;
    }
    const pem = (await readPublicKey(chosen.root, chosen.k.name)).keyObject.export({ type: 'spki', format: 'pem' }).toString();
    const next = keysWithAdded(d.publicKeys, { name: chosen.k.name, pem }, replace);
    if (r.yes !== true) {
      const answer = await vscode.window.showWarningMessage(
        `Add key ${chosen.k.name} to ${d.name} in ${node.target.accountId} · ${node.target.region}?`,
        { modal: true, detail: `Keys after the change: ${Object.keys(next).join(', ')}.${replace ? ` ${replace} is removed: devices signing with it stop connecting.` : ' Both keys verify tokens until you remove the old one.'}` },
        'Update Authorizer',
      );
      if (answer !== 'Update Authorizer') return undefined;
    }
    await this.withIot((iot) => iot.setPublicKeys(d.name, next));
    this.tree.refresh();
    const old = Object.keys(next).filter((n) => n in d.publicKeys);
    const message = `${d.name} now verifies tokens with ${Object.keys(next).join(' and ')}.`;
    if (old.length > 0 && r.yes !== true) {
      void vscode.window
        .showInformationMessage(`${message} Once devices sign with ${chosen.k.name}, remove the old key.`, ...old.map((n) => `Remove ${n}`))
        .then((pick) => {
          const name = pick?.replace(/^Remove /, '');
          if (name) void runCommand('iotAuthz.aws.removePublicKey', { authorizer: d.name, keyName: name });
        });
    } else vscode.window.setStatusBarMessage(`$(check) ${message}`, 8000);
    return message;
  }

  /**
   * Writes the authorizer's settings from the account into iot-authorizer.json (its entry of the
   * same name, or a new one), after showing the difference and asking. Arguments for tests:
   * `{ authorizer, handler?, runtime?, yes? }`.
   */
  async pullIntoProject(arg: unknown): Promise<(PullResult & { file: string; written: boolean }) | undefined> {
    const node = await this.pickAwsAuthorizer(arg);
    if (!node) return undefined;
    const r = asRecord(arg);
    const d = node.details;
    const local = this.s.projects.authorizers().find((a) => a.authorizer.name === d.name);
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const file = local?.project.file ?? (folder ? path.join(folder, PROJECT_FILE_NAME) : undefined);
    if (!file) throw new UserError(`Open a folder first: ${PROJECT_FILE_NAME} is written at its top.`, 'NO_WORKSPACE');
    const open = vscode.workspace.textDocuments.find((doc) => doc.uri.fsPath === file);
    if (open?.isDirty) throw new UserError(`${PROJECT_FILE_NAME} has unsaved changes: save or revert them, then pull again.`, 'PROJECT_UNSAVED');
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    const keys = (await listKeys(path.dirname(file))).map((k) => ({ name: k.name, ...(k.fingerprint ? { fingerprint: k.fingerprint } : {}) }));
    const matched = matchAwsKeys(d.publicKeys, keys).map((k) => ({ awsName: k.name, ...(k.workspaceKey ? { workspaceKey: k.workspaceKey } : {}) }));
    const pulled = { ...d, keys: matched, region: node.target.region };
    let result: PullResult;
    try {
      result = pullAuthorizerIntoProject(text, pulled);
    } catch (e) {
      if (!(e instanceof UserError) || e.code !== 'HANDLER_REQUIRED') throw e;
      const handler =
        typeof r.handler === 'string'
          ? r.handler
          : await vscode.window.showInputBox({
              title: `${d.name} is not in ${PROJECT_FILE_NAME} yet`,
              prompt: "The handler in this workspace that the function runs (path relative to the project file, then ':' and the function)",
              value: 'authorizer.js:handler',
              validateInput: (v) => (/^[^:]+\.(py|js|mjs|cjs|ts):[A-Za-z_$][\w$]*$/.test(v) ? undefined : 'path/to/file.(py|js|ts):functionName'),
            });
      if (handler === undefined) return undefined;
      const runtime = typeof r.runtime === 'string' ? r.runtime : (newestRuntime(/\.py:/.test(handler) ? 'python' : 'nodejs')?.id ?? 'nodejs22.x');
      result = pullAuthorizerIntoProject(text, pulled, { handler, runtime });
    }
    if (result.changed.length === 0) {
      const message = `${PROJECT_FILE_NAME} already matches ${d.name} in ${node.target.accountId} · ${node.target.region}.`;
      vscode.window.setStatusBarMessage(`$(check) ${message}`, 8000);
      return { ...result, file, written: false };
    }
    if (r.yes !== true) {
      const proposed = await vscode.workspace.openTextDocument({ language: 'json', content: result.text });
      if (text !== undefined) await vscode.commands.executeCommand('vscode.diff', vscode.Uri.file(file), proposed.uri, `${PROJECT_FILE_NAME} ↔ ${d.name} in AWS`);
      else await vscode.window.showTextDocument(proposed, { preview: true });
      const answer = await vscode.window.showWarningMessage(
        `Write ${d.name}'s settings from AWS into ${PROJECT_FILE_NAME}?`,
        { modal: true, detail: [...result.changed, ...result.notes].join('\n') },
        'Write',
      );
      if (answer !== 'Write') return { ...result, file, written: false };
    }
    fs.writeFileSync(file, result.text);
    for (const note of result.notes) this.s.log.warn(note);
    vscode.window.setStatusBarMessage(`$(check) ${d.name} pulled into ${PROJECT_FILE_NAME}`, 8000);
    return { ...result, file, written: true };
  }

  /** Removes one key from an authorizer in the account (never its last). Arguments: an AWS key node, or `{ authorizer, keyName, yes? }`. */
  async removePublicKey(arg: unknown): Promise<string | undefined> {
    const r = asRecord(arg);
    const keyNode = r.kind === 'awsKey' ? (arg as { key: { name: string }; authorizer: AwsAuthorizerNode }) : undefined;
    const name = keyNode?.authorizer.details.name ?? (typeof r.authorizer === 'string' ? r.authorizer : undefined);
    const keyName = keyNode?.key.name ?? (typeof r.keyName === 'string' ? r.keyName : undefined);
    if (!name || !keyName) throw new UserError('Remove Public Key needs an authorizer key: use it on a key under an authorizer in the AWS node.', 'KEY_NOT_FOUND');
    return this.withIot(async (iot) => {
      const d = await iot.describeAuthorizer(name);
      if (!d) throw new UserError(`No authorizer named "${name}" in the account: refresh the AWS node.`, 'AUTHORIZER_NOT_FOUND');
      const next = keysWithRemoved(d.publicKeys, keyName);
      if (r.yes !== true) {
        const answer = await vscode.window.showWarningMessage(
          `Remove key ${keyName} from ${name}?`,
          { modal: true, detail: `Devices whose tokens are signed with ${keyName} stop connecting. ${Object.keys(next).join(', ')} stays.` },
          'Remove Key',
        );
        if (answer !== 'Remove Key') return undefined;
      }
      await iot.setPublicKeys(name, next);
      this.tree.refresh();
      return `${name} now verifies tokens with ${Object.keys(next).join(' and ')}.`;
    });
  }

  dispose(): void {
    this.targets.dispose();
    void this.runtime.dispose();
  }
}
