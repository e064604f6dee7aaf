// The one table of the extension's commands. package.json `contributes.commands` and
// `contributes.menus` are generated from it by esbuild.js (which also writes schemas/*.json), and
// `registerCommands` takes a handler for every id in it, so the manifest and the code cannot drift.

export const COMMAND_CATEGORY = 'IoT Authorizer';

export interface MenuPlacement {
  /** A VS Code menu id, e.g. `view/title`, `view/item/context`, `editor/title`. */
  readonly menu: string;
  readonly when?: string;
  readonly group?: string;
}

export interface CommandSpec {
  readonly id: string;
  readonly title: string;
  /** A codicon reference such as `$(refresh)`, used where the command shows as a button. */
  readonly icon?: string;
  /** `false` hides the command from the palette; a string is its palette `when` clause. */
  readonly palette?: string | false;
  readonly menus?: readonly MenuPlacement[];
}

const IN_VIEW = 'view == iotAuthz.authorizers';
const EVENT_FILE = 'resourceFilename =~ /\\.authz\\.json$/';

/** A button or menu entry in the authorizers view's title bar. */
function inTitle(group: string): MenuPlacement {
  return { menu: 'view/title', when: IN_VIEW, group };
}

/** Entries on the view's items whose context value is `viewItem` (or matches it, written `/regex/`): one per group. */
function onItem(viewItem: string, ...groups: string[]): MenuPlacement[] {
  const when = `${IN_VIEW} && viewItem ${viewItem.startsWith('/') ? '=~' : '=='} ${viewItem}`;
  return groups.map((group) => ({ menu: 'view/item/context', when, group }));
}

// One section per feature; each feature's module provides the handlers of its section.
export const COMMANDS = [
  // --- general ---
  { id: 'iotAuthz.showOutput', title: 'Show Output', icon: '$(output)', menus: [inTitle('9_other')] },
  { id: 'iotAuthz.refreshExplorer', title: 'Refresh Authorizers', icon: '$(refresh)', menus: [inTitle('navigation@9')] },
  { id: 'iotAuthz.openWalkthrough', title: 'Get Started', icon: '$(book)' },
  // --- keys (src/vscode/keyCommands.ts) and tokens (tokenCommands.ts) ---
  { id: 'iotAuthz.generateKeyPair', title: 'Generate Signing Key Pair', icon: '$(add)', menus: [inTitle('5_keys@1'), ...onItem('signingKeys', 'inline@1')] },
  { id: 'iotAuthz.importKey', title: 'Import Signing Key…', menus: [inTitle('5_keys@2')] },
  {
    id: 'iotAuthz.signToken',
    title: 'Sign Token…',
    icon: '$(pencil)',
    menus: [
      ...onItem('authorizer', '3_keys@1'),
      ...onItem('signingKey', 'inline@1', '1_key@1'),
    ],
  },
  { id: 'iotAuthz.verifySignature', title: 'Verify Token Signature…', icon: '$(verified)', menus: onItem('authorizer', '3_keys@2') },
  {
    id: 'iotAuthz.copyPublicKey',
    title: 'Copy Public Key (PEM)',
    icon: '$(copy)',
    menus: [
      ...onItem('authorizer', '3_keys@4'),
      ...onItem('signingKey', 'inline@2', '1_key@2'),
    ],
  },
  { id: 'iotAuthz.copySignedCredentials', title: 'Copy Signed Credentials As…', icon: '$(clippy)', menus: onItem('authorizer', '3_keys@3') },
  // --- local invoke, CodeLens (src/vscode/invokeCommands.ts); new events and authorizers (scaffoldCommands.ts) ---
  { id: 'iotAuthz.invokeLocally', title: 'Invoke Authorizer Locally…', icon: '$(play)', menus: onItem('authorizer', 'inline@1', '1_run@1') },
  {
    id: 'iotAuthz.runTestEvent',
    title: 'Run Test Event',
    icon: '$(play)',
    menus: [
      { menu: 'explorer/context', when: EVENT_FILE, group: '1_iotAuthz@1' },
      { menu: 'editor/title', when: EVENT_FILE, group: 'navigation@1' },
    ],
  },
  { id: 'iotAuthz.newTestEvent', title: 'New Test Event…', icon: '$(new-file)', menus: onItem('authorizer', '1_run@2') },
  { id: 'iotAuthz.newAuthorizer', title: 'New Authorizer…', icon: '$(add)', menus: [inTitle('navigation@1')] },
  // --- results panel and history (src/vscode/panel/) ---
  { id: 'iotAuthz.openResults', title: 'Open Results Panel', icon: '$(preview)', menus: [inTitle('navigation@5')] },
  { id: 'iotAuthz.showHistory', title: 'Show Run History…', icon: '$(history)', menus: [inTitle('7_history@1')] },
  { id: 'iotAuthz.clearHistory', title: 'Clear Run History', icon: '$(clear-all)', menus: [inTitle('7_history@2')] },
  // --- the local IoT endpoint (src/vscode/endpointCommands.ts) ---
  { id: 'iotAuthz.endpoint.start', title: 'Start Local Endpoint', icon: '$(play)', menus: onItem('/^endpoint\\.(stopped|failed)$/', 'inline@1') },
  { id: 'iotAuthz.endpoint.stop', title: 'Stop Local Endpoint', icon: '$(debug-stop)', menus: onItem('/^endpoint\\.(running|starting)$/', 'inline@1') },
  {
    id: 'iotAuthz.endpoint.copyUrl',
    title: 'Copy Local Endpoint URL',
    icon: '$(copy)',
    menus: [
      ...onItem('endpoint.running', '1_endpoint@1'),
      ...onItem('endpointAddress', 'inline@1'),
    ],
  },
  {
    id: 'iotAuthz.endpoint.snippets',
    title: 'Connection Snippets for the Local Endpoint',
    icon: '$(terminal)',
    menus: onItem('endpoint.running', 'inline@2', '1_endpoint@2'),
  },
  { id: 'iotAuthz.endpoint.disconnect', title: 'Disconnect', icon: '$(debug-disconnect)', menus: onItem('endpointConnection', 'inline@1', '1_connection@1') },
  { id: 'iotAuthz.endpoint.advanceClock', title: 'Advance Local Endpoint Clock…', icon: '$(clock)', menus: onItem('endpoint.running', '1_endpoint@3') },
  { id: 'iotAuthz.endpoint.runAgainst', title: 'Run Against Local Endpoint', icon: '$(radio-tower)', palette: false },
  { id: 'iotAuthz.endpoint.actions', title: 'Local Endpoint Actions…', icon: '$(radio-tower)' },
  // --- AWS: target, deploy, test-invoke, the account's authorizers (src/vscode/awsCommands.ts) ---
  {
    id: 'iotAuthz.aws.selectTarget',
    title: 'Select AWS Profile and Region…',
    icon: '$(cloud)',
    menus: [inTitle('6_aws@1'), ...onItem('awsRoot', 'inline@2')],
  },
  { id: 'iotAuthz.aws.refresh', title: 'Refresh AWS Authorizers', icon: '$(refresh)', menus: onItem('awsRoot', 'inline@1') },
  { id: 'iotAuthz.aws.signIn', title: 'Sign In to AWS (SSO)', icon: '$(sign-in)' },
  {
    id: 'iotAuthz.aws.deploy',
    title: 'Deploy to AWS…',
    icon: '$(cloud-upload)',
    menus: [
      ...onItem('authorizer', '2_aws@1'),
      { menu: 'editor/title', when: 'resourceFilename == iot-authorizer.json', group: 'navigation@2' },
    ],
  },
  {
    id: 'iotAuthz.aws.testInvoke',
    title: 'Test-Invoke in AWS…',
    icon: '$(cloud)',
    menus: [
      ...onItem('/^awsAuthorizer/', 'inline@1', '1_run@1'),
      ...onItem('authorizer', '2_aws@2'),
      { menu: 'explorer/context', when: EVENT_FILE, group: '1_iotAuthz@2' },
    ],
  },
  { id: 'iotAuthz.aws.setDefault', title: 'Set as Default Authorizer', menus: onItem('/^awsAuthorizer/', '2_manage@1') },
  { id: 'iotAuthz.aws.activate', title: 'Activate', menus: onItem('awsAuthorizer.INACTIVE', '2_manage@2') },
  { id: 'iotAuthz.aws.deactivate', title: 'Deactivate', menus: onItem('awsAuthorizer.ACTIVE', '2_manage@2') },
  { id: 'iotAuthz.aws.delete', title: 'Delete Authorizer…', icon: '$(trash)', menus: onItem('/^awsAuthorizer/', '9_delete@1') },
  { id: 'iotAuthz.aws.copyArn', title: 'Copy ARN', icon: '$(copy)', menus: onItem('/^awsAuthorizer/', '3_copy@1') },
  { id: 'iotAuthz.aws.showDetails', title: 'Show Details (JSON)', icon: '$(json)', menus: onItem('/^awsAuthorizer/', '3_copy@2') },
  { id: 'iotAuthz.aws.openConsole', title: 'Open in AWS Console', icon: '$(link-external)', menus: onItem('/^awsAuthorizer/', '3_copy@3') },
  { id: 'iotAuthz.aws.rotatePublicKey', title: 'Rotate Public Key…', icon: '$(key)', menus: onItem('/^awsAuthorizer/', '2_manage@3') },
  { id: 'iotAuthz.aws.removePublicKey', title: 'Remove Public Key from Authorizer…', icon: '$(trash)', palette: false, menus: onItem('awsKey', '9_delete@1') },
  { id: 'iotAuthz.aws.pullIntoProject', title: 'Pull into iot-authorizer.json…', icon: '$(cloud-download)', menus: onItem('/^awsAuthorizer/', '3_copy@4') },
] as const satisfies readonly CommandSpec[];

export type CommandId = (typeof COMMANDS)[number]['id'];

export function contributedCommands(): object[] {
  return COMMANDS.map((c: CommandSpec) => ({
    command: c.id,
    title: c.title,
    category: COMMAND_CATEGORY,
    ...(c.icon ? { icon: c.icon } : {}),
  }));
}

export function contributedMenus(): Record<string, object[]> {
  const menus: Record<string, object[]> = { commandPalette: [] };
  for (const c of COMMANDS as readonly CommandSpec[]) {
    if (c.palette !== undefined) {
      menus.commandPalette.push({ command: c.id, when: c.palette === false ? 'false' : c.palette });
    }
    for (const m of c.menus ?? []) {
      (menus[m.menu] ??= []).push({
        command: c.id,
        ...(m.when ? { when: m.when } : {}),
        ...(m.group ? { group: m.group } : {}),
      });
    }
  }
  if (menus.commandPalette.length === 0) delete menus.commandPalette;
  return menus;
}
