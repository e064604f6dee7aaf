// Scaffolding in the editor: "New Test Event…" and "New Authorizer…". Both write files from
// core/templates.ts and core/testEvent.ts, never replace a file without a modal yes, and open what they
// wrote. Each takes arguments that skip its prompts, so tests and other commands can call it;
// the authorizer to write for is chosen by the run side (invokeCommands.ts).
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  AUTHORIZER_NAME_MAX_LENGTH,
  AUTHORIZER_NAME_PATTERN,
  DEFAULT_KEYGEN_BITS,
  KEY_STORE_DIR,
  PROJECT_FILE_NAME,
  TEST_EVENT_SUFFIX,
} from '../core/constants';
import { UserError } from '../core/errors';
import { storedKeyFiles } from '../core/keyStore';
import type { HandlerLanguage } from '../core/project';
import {
  createAuthorizer,
  Scaffold,
  scaffoldAuthorizer,
  ScaffoldConflictError,
  TEMPLATE_DESCRIPTIONS,
  TEMPLATE_KINDS,
  TEMPLATE_LANGUAGES,
  TEMPLATE_RUNTIMES,
  TemplateKind,
  writeScaffold,
  WrittenScaffold,
} from '../core/templates';
import { newTestEventText, PROTOCOL_LABELS, TEST_PROTOCOLS, TestProtocol } from '../core/testEvent';
import { asRecord, authorizerNameOf, firstWorkspaceFolder, nonEmptyString } from './commandArgs';
import { commandId, runCommand, type CommandHandlers } from './commands';
import type { Services } from './features';
import type { AuthorizerInProject } from './workspaceProjects';

/** Test event names: what a file name can hold on every platform, without the suffix. */
const EVENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface NewTestEventArgs {
  readonly authorizer?: string;
  readonly protocol?: TestProtocol;
  /** File name without `.authz.json`; taken as a base when the file exists (`name-2`, ...). */
  readonly name?: string;
  /** Open the new file (default true). */
  readonly open?: boolean;
  readonly projectFile?: string;
}

export interface NewAuthorizerArgs {
  readonly kind?: TemplateKind;
  readonly language?: HandlerLanguage;
  readonly name?: string;
  /** On a conflict: true replaces, false aborts; absent asks (modal). */
  readonly overwrite?: boolean;
  /** Signed token: true generates the signing key, false skips; absent offers it. */
  readonly generateKey?: boolean;
  /** Open the handler (default true). */
  readonly open?: boolean;
  /** The folder to write into; default the first workspace folder. */
  readonly folder?: string;
}

export interface NewAuthorizerResult {
  readonly name: string;
  readonly kind: TemplateKind;
  readonly language: HandlerLanguage;
  readonly handlerFile: string;
  /** Every file written (handler first, then the test events). */
  readonly files: readonly string[];
  /** The test events written, with the outcome each is written to produce. */
  readonly events: ReadonlyArray<{ readonly file: string; readonly expect?: 'allowed' | 'denied' }>;
  readonly projectFile: string;
  readonly signingKey?: string;
  /** Whether the signing key exists once the command returns. */
  readonly signingKeyReady?: boolean;
  /** Keys the template itself created (the JWT issuer key). */
  readonly generatedKeys: readonly string[];
}

const GENERATE_KEY_COMMAND = commandId('iotAuthz.generateKeyPair');

const KIND_LABELS: Readonly<Record<TemplateKind, string>> = {
  'signed-token': 'Signed token',
  'mqtt-username-password': 'MQTT username and password',
  'jwt-bearer': 'Bearer token (JWT)',
};

const LANGUAGE_LABELS: Readonly<Record<HandlerLanguage, string>> = { python: 'Python', typescript: 'TypeScript', javascript: 'JavaScript' };

/** Why `name` cannot be an authorizer name in AWS, or undefined. */
export function authorizerNameProblem(name: string): string | undefined {
  if (name === '') return 'Enter a name, e.g. "MyDeviceAuthorizer".';
  if (name.length > AUTHORIZER_NAME_MAX_LENGTH) return `At most ${AUTHORIZER_NAME_MAX_LENGTH} characters (this one has ${name.length}).`;
  if (!AUTHORIZER_NAME_PATTERN.test(name)) return 'Use letters, digits and _ = , @ - only (AWS IoT authorizer names).';
  return undefined;
}

function freshAuthorizerName(existing: ReadonlySet<string>, kind: TemplateKind): string {
  const base = { 'signed-token': 'SignedTokenAuthorizer', 'mqtt-username-password': 'PasswordAuthorizer', 'jwt-bearer': 'JwtAuthorizer' }[kind];
  for (let i = 1; ; i++) if (!existing.has(i === 1 ? base : `${base}${i}`)) return i === 1 ? base : `${base}${i}`;
}

/** `name`, else `name-2`, `name-3`, ...: the first that names no file in `dir`. */
export function freshEventName(dir: string, name: string): string {
  for (let i = 1; ; i++) {
    const candidate = i === 1 ? name : `${name}-${i}`;
    if (!fs.existsSync(path.join(dir, candidate + TEST_EVENT_SUFFIX))) return candidate;
  }
}

/** How the scaffolding commands find and pick authorizers: LocalInvokeFeature (invokeCommands.ts). */
export interface AuthorizerChooser {
  allAuthorizers(projectFile?: string): AuthorizerInProject[];
  /** The named authorizer, the only one, or one picked; undefined when the pick is cancelled. */
  chooseAuthorizer(name: string | undefined, projectFile?: string): Promise<AuthorizerInProject | undefined>;
}

export class ScaffoldCommands {
  constructor(
    private readonly s: Services,
    private readonly choose: AuthorizerChooser,
  ) {}

  /** The handlers of the scaffolding commands in the "local invoke, events, templates" section of the command table. */
  handlers() {
    return {
      'iotAuthz.newTestEvent': (arg?: unknown) => this.newTestEvent(arg),
      'iotAuthz.newAuthorizer': (arg?: unknown) => this.newAuthorizer(arg),
    } satisfies Partial<CommandHandlers>;
  }


  /** Writes events/<name>.authz.json for an authorizer and protocol; never replaces a file. Returns its path. */
  async newTestEvent(arg?: unknown): Promise<string | undefined> {
    const rec = asRecord(arg);
    const name = authorizerNameOf(arg);
    const projectFile = nonEmptyString(rec.projectFile);
    const all = this.choose.allAuthorizers(projectFile);
    const target = name !== undefined || all.length > 0 ? await this.choose.chooseAuthorizer(name, projectFile) : undefined;
    if (!target && all.length > 0) return undefined;
    const folder = target?.project.dir ?? firstWorkspaceFolder();
    if (!folder) throw new UserError('Open a folder first: test events are written to its events/ folder.', 'NO_WORKSPACE');

    let protocol = rec.protocol as TestProtocol | undefined;
    if (protocol !== undefined && !TEST_PROTOCOLS.includes(protocol)) {
      throw new UserError(`Unknown protocol "${String(protocol)}": use ${TEST_PROTOCOLS.map((p) => `"${p}"`).join(', ')}.`, 'UNKNOWN_PROTOCOL');
    }
    protocol ??= (
      await vscode.window.showQuickPick(
        TEST_PROTOCOLS.map((p) => ({ label: PROTOCOL_LABELS[p].label, description: p, detail: PROTOCOL_LABELS[p].detail, protocol: p })),
        { title: `New test event${target ? ` for ${target.authorizer.name}` : ''}`, placeHolder: 'How does the device connect?' },
      )
    )?.protocol;
    if (!protocol) return undefined;

    const dir = path.join(folder, 'events');
    const several = all.length > 1 && target;
    const baseName = several ? `${target.authorizer.name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-')}-${PROTOCOL_LABELS[protocol].baseName}` : PROTOCOL_LABELS[protocol].baseName;
    let fileName: string | undefined;
    const requested = nonEmptyString(rec.name)?.replace(new RegExp(`${TEST_EVENT_SUFFIX.replace(/\./g, '\\.')}$`), '');
    if (requested !== undefined) {
      if (!EVENT_NAME_PATTERN.test(requested)) throw new UserError(`"${requested}" cannot be a test event name: use letters, digits, ".", "_" and "-".`, 'INVALID_EVENT_NAME');
      fileName = freshEventName(dir, requested);
    } else {
      fileName = await vscode.window.showInputBox({
        title: 'Name of the new test event',
        prompt: `Written to ${path.relative(firstWorkspaceFolder() ?? folder, dir) || 'events'}/<name>${TEST_EVENT_SUFFIX}`,
        value: freshEventName(dir, baseName),
        validateInput: (v) => {
          const n = v.trim().replace(new RegExp(`${TEST_EVENT_SUFFIX.replace(/\./g, '\\.')}$`), '');
          if (!EVENT_NAME_PATTERN.test(n)) return 'Use letters, digits, ".", "_" and "-" (start with a letter or digit).';
          if (fs.existsSync(path.join(dir, n + TEST_EVENT_SUFFIX))) return `events/${n}${TEST_EVENT_SUFFIX} exists: pick another name (nothing is overwritten).`;
          return undefined;
        },
      });
      fileName = fileName?.trim().replace(new RegExp(`${TEST_EVENT_SUFFIX.replace(/\./g, '\\.')}$`), '');
      if (!fileName) return undefined;
    }

    const config = target?.authorizer;
    const text = newTestEventText({
      protocol,
      ...(config ? { authorizer: config.name } : {}),
      ...(config && !config.signingDisabled && config.signingKeys[0] ? { signingKey: config.signingKeys[0] } : {}),
    });
    fs.mkdirSync(dir, { recursive: true });
    let file = path.join(dir, fileName + TEST_EVENT_SUFFIX);
    for (;;) {
      try {
        // 'wx' fails when the file appeared since the name was chosen: never replace it.
        fs.writeFileSync(file, text, { flag: 'wx' });
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        file = path.join(dir, freshEventName(dir, fileName) + TEST_EVENT_SUFFIX);
      }
    }
    this.s.log.info(`New test event: ${file}`);
    if (rec.open !== false) await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false });
    return file;
  }

  /**
   * Scaffolds a handler, its test events and its iot-authorizer.json entry (core/templates.ts).
   * Asks before replacing anything (modal), opens the handler, refreshes the explorer, and for a
   * signed token offers to generate the signing key with "Generate Signing Key Pair".
   */
  async newAuthorizer(arg?: unknown): Promise<NewAuthorizerResult | undefined> {
    const rec = asRecord(arg);
    const root = nonEmptyString(rec.folder) ? path.resolve(nonEmptyString(rec.folder)!) : firstWorkspaceFolder();
    if (!root) throw new UserError('Open a folder first: the new authorizer is written into it, next to iot-authorizer.json.', 'NO_WORKSPACE');
    const existing = new Set((this.s.projects.load(path.join(root, PROJECT_FILE_NAME)).project?.authorizers ?? []).map((a) => a.name));

    let kind = rec.kind as TemplateKind | undefined;
    if (kind !== undefined && !TEMPLATE_KINDS.includes(kind)) {
      throw new UserError(`Unknown authorizer kind "${String(kind)}": use ${TEMPLATE_KINDS.map((k) => `"${k}"`).join(', ')}.`, 'UNKNOWN_TEMPLATE');
    }
    kind ??= (
      await vscode.window.showQuickPick(
        TEMPLATE_KINDS.map((k) => ({ label: KIND_LABELS[k], description: k, detail: TEMPLATE_DESCRIPTIONS[k], template: k })),
        { title: 'New Authorizer (1/3): what does the device send?', placeHolder: 'The credentials your authorizer checks' },
      )
    )?.template;
    if (!kind) return undefined;

    let language = rec.language as HandlerLanguage | undefined;
    if (language !== undefined && !TEMPLATE_LANGUAGES.includes(language)) {
      throw new UserError(`Unknown language "${String(language)}": use ${TEMPLATE_LANGUAGES.map((l) => `"${l}"`).join(', ')}.`, 'UNKNOWN_LANGUAGE');
    }
    language ??= (
      await vscode.window.showQuickPick(
        TEMPLATE_LANGUAGES.map((l) => ({ label: LANGUAGE_LABELS[l], description: TEMPLATE_RUNTIMES[l], language: l })),
        { title: 'New Authorizer (2/3): handler language', placeHolder: 'The Lambda runtime the handler is written for' },
      )
    )?.language;
    if (!language) return undefined;

    let name = nonEmptyString(rec.name);
    if (name !== undefined) {
      const problem = authorizerNameProblem(name);
      if (problem) throw new UserError(problem, 'INVALID_AUTHORIZER_NAME');
    } else {
      name = (
        await vscode.window.showInputBox({
          title: 'New Authorizer (3/3): authorizer name',
          prompt: 'The name in AWS IoT Core, sent by devices as x-amz-customauthorizer-name',
          value: freshAuthorizerName(existing, kind),
          validateInput: (v) => {
            const problem = authorizerNameProblem(v.trim());
            if (problem) return problem;
            if (existing.has(v.trim())) {
              return { message: `${PROJECT_FILE_NAME} already has "${v.trim()}": continuing asks before replacing it.`, severity: vscode.InputBoxValidationSeverity.Warning };
            }
            return undefined;
          },
        })
      )?.trim();
      if (!name) return undefined;
    }

    const written = await this.writeAuthorizer(root, { kind, language, name }, rec.overwrite as boolean | undefined);
    if (!written) return undefined;
    this.s.projects.invalidate(written.projectFile);
    this.s.explorer.refresh();
    const handlerFile = written.files[written.scaffold.files.findIndex((f) => f.role === 'handler')];
    this.s.log.info(`New authorizer "${name}" (${kind}, ${language}): ${written.files.map((f) => path.relative(root, f)).join(', ')}; ${path.relative(root, written.projectFile)} ${written.projectCreated ? 'created' : 'updated'}.`);
    if (rec.open !== false) await vscode.window.showTextDocument(vscode.Uri.file(handlerFile), { preview: false });
    const signingKey = written.scaffold.keys.signing;
    let keyReady = signingKey === undefined || fs.existsSync(storedKeyFiles(root, signingKey).publicKeyFile);
    if (!keyReady && signingKey !== undefined) keyReady = await this.offerSigningKey(root, name, signingKey, rec.generateKey as boolean | undefined);
    return {
      name,
      kind,
      language,
      handlerFile,
      files: written.files,
      events: written.scaffold.files.flatMap((f, i) => (f.role === 'event' ? [{ file: written.files[i], ...(f.expect ? { expect: f.expect } : {}) }] : [])),
      projectFile: written.projectFile,
      ...(signingKey !== undefined ? { signingKey, signingKeyReady: keyReady } : {}),
      generatedKeys: written.generatedKeys,
    };
  }

  /** Writes the scaffold; on a conflict asks (modal) before overwriting, or aborts when `overwrite` is false. */
  private async writeAuthorizer(
    root: string,
    options: { kind: TemplateKind; language: HandlerLanguage; name: string },
    overwrite: boolean | undefined,
  ): Promise<(WrittenScaffold & { scaffold: Scaffold; generatedKeys: readonly string[] }) | undefined> {
    const write = async (replace: boolean) => {
      // The JWT template needs its issuer key to exist before the handler is written (it embeds
      // the public key); createAuthorizer makes or reuses it. The signing key is offered after.
      if (options.kind === 'jwt-bearer') return createAuthorizer(root, { ...options, overwrite: replace });
      const scaffold = scaffoldAuthorizer({ ...options, dir: root });
      return { ...(await writeScaffold(root, scaffold, { overwrite: replace })), scaffold, generatedKeys: [] as string[] };
    };
    try {
      return await write(overwrite === true);
    } catch (e) {
      if (!(e instanceof ScaffoldConflictError) || e.code === 'PROJECT_INVALID' || overwrite !== undefined) throw e;
      const what = e.code === 'AUTHORIZER_EXISTS'
        ? `${PROJECT_FILE_NAME} already has an authorizer named "${options.name}".`
        : `These files exist: ${e.conflicts.map((f) => path.relative(root, f)).join(', ')}.`;
      const answer = await vscode.window.showWarningMessage(
        `${what} Replace them with the new "${options.name}" authorizer?`,
        { modal: true, detail: 'Replaced files and the entry are lost. Cancel leaves everything as it is.' },
        'Overwrite',
      );
      if (answer !== 'Overwrite') {
        this.s.log.info(`New Authorizer: nothing written; ${what}`);
        return undefined;
      }
      return write(true);
    }
  }

  /** Generates the signed-token template's key with "Generate Signing Key Pair" when asked or accepted. */
  private async offerSigningKey(root: string, name: string, keyName: string, generate: boolean | undefined): Promise<boolean> {
    const hasCommand = (await vscode.commands.getCommands(true)).includes(GENERATE_KEY_COMMAND);
    const generateNow = () => runCommand(GENERATE_KEY_COMMAND, { keyName, bits: DEFAULT_KEYGEN_BITS, workspaceFolder: root });
    if (!hasCommand || generate === false) {
      this.s.log.info(`"${name}" signs its test events with key "${keyName}", which does not exist yet: create it in ${KEY_STORE_DIR}/${keyName}/.`);
      return false;
    }
    if (generate === true) {
      await generateNow();
      return fs.existsSync(storedKeyFiles(root, keyName).publicKeyFile);
    }
    // Not awaited: the command returns while the offer waits for the user.
    void vscode.window
      .showInformationMessage(`"${name}" verifies tokens signed with key "${keyName}", which does not exist yet. Generate it now?`, 'Generate Key Pair')
      .then((answer) => (answer ? generateNow() : undefined))
      .then(undefined, (e: unknown) => this.s.log.error(`Generate Signing Key Pair failed: ${e instanceof Error ? e.message : String(e)}`));
    return false;
  }

}
