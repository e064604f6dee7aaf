// One build script for every bundle: the extension, the CLI, the local runtime workers and
// the webview scripts. `--production` minifies without source maps (what the .vsix ships);
// `--watch` rebuilds on change. It is also the one generator of checked-in files: package.json's
// command contributions (from the command table) and schemas/*.json (from core/jsonSchemas.ts);
// `--check` only verifies that they are current, and fails naming what is stale;
// `--no-generate` builds the bundles without touching them.
'use strict';
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const checkOnly = process.argv.includes('--check');
// `npm test` builds with --no-generate, so a stale generated file fails its static suite instead of being rewritten.
const skipGenerate = process.argv.includes('--no-generate');
const root = __dirname;

/**
 * Bundles. A missing entry fails the build (a typo or a moved file must not ship a package
 * without its bundle). The AWS bundle is built once the src/aws/ layer exists; then its entry is required too.
 */
const bundles = [
  // Banner and footer stamp the bundle's evaluation, so activation time includes module load.
  {
    entry: 'src/extension.ts', outfile: 'dist/extension.js', platform: 'node', external: ['vscode', './features.js'],
    banner: 'globalThis.__iotAuthzBundleStart = performance.now();',
    footer: 'globalThis.__iotAuthzBundleEnd = performance.now();',
  },
  // Everything the commands, views and panel do, loaded by the shell on first use.
  { entry: 'src/vscode/features.ts', outfile: 'dist/features.js', platform: 'node', external: ['vscode'] },
  { entry: 'src/cli/main.ts', outfile: 'dist/cli.js', platform: 'node', banner: '#!/usr/bin/env node' },
  { entry: 'src/local/runtime/nodeWorker.ts', outfile: 'dist/runtime/nodeWorker.js', platform: 'node', external: ['esbuild'] },
  { entry: 'src/aws/index.ts', outfile: 'dist/aws.js', platform: 'node', external: ['vscode'] },
  { entry: 'src/webview/panel.ts', outfile: 'dist/webview/panel.js', platform: 'browser', format: 'iife' },
].filter((b) => !b.entry.startsWith('src/aws/') || fs.existsSync(path.join(root, 'src/aws')));

const missingEntries = bundles.filter((b) => !fs.existsSync(path.join(root, b.entry))).map((b) => b.entry);
if (missingEntries.length > 0) {
  console.error(`[build] missing bundle entry: ${missingEntries.join(', ')} (fix the path in esbuild.js or restore the file)`);
  process.exit(1);
}

/** Plain files copied next to the bundles. */
const copies = [
  ['src/local/runtime/python_bootstrap.py', 'dist/runtime/python_bootstrap.py'],
  ['src/webview/panel.css', 'dist/webview/panel.css'],
  ['node_modules/@vscode/codicons/dist/codicon.css', 'dist/webview/codicon.css'],
  ['node_modules/@vscode/codicons/dist/codicon.ttf', 'dist/webview/codicon.ttf'],
];

/**
 * esbuild-wasm, for TypeScript handlers in projects without esbuild (the .vsix ships no
 * node_modules). Kept as a package folder (its API refuses to run bundled) and loaded only when
 * a TypeScript handler is bundled. Its API starts the WebAssembly service with `node` from
 * PATH, which VS Code's extension host may not have: the copy starts it with the running
 * executable as Node instead. A changed esbuild-wasm that no longer matches fails the build.
 */
const ESBUILD_WASM_FILES = ['package.json', 'LICENSE.md', 'lib/main.js', 'bin/esbuild', 'esbuild.wasm', 'wasm_exec.js', 'wasm_exec_node.js'];
const ESBUILD_WASM_PATCHES = [
  ['return ["node", [path2.join(__dirname, "..", "bin", "esbuild")]];', 'return [process.execPath, [path2.join(__dirname, "..", "bin", "esbuild")]];'],
  ['    windowsHide: true,\n    stdio: ["pipe", "pipe", "inherit"],\n', '    windowsHide: true,\n    env: { ...process.env, ELECTRON_RUN_AS_NODE: "1" },\n    stdio: ["pipe", "pipe", "inherit"],\n'],
];

function copyEsbuildWasm() {
  const from = path.join(root, 'node_modules/esbuild-wasm');
  const to = path.join(root, 'dist/runtime/esbuild-wasm');
  fs.rmSync(to, { recursive: true, force: true });
  for (const f of ESBUILD_WASM_FILES) {
    if (!fs.existsSync(path.join(from, f))) throw new Error(`[build] missing node_modules/esbuild-wasm/${f}: run npm ci`);
    fs.mkdirSync(path.dirname(path.join(to, f)), { recursive: true });
    fs.copyFileSync(path.join(from, f), path.join(to, f));
  }
  const mainPath = path.join(to, 'lib/main.js');
  let main = fs.readFileSync(mainPath, 'utf8');
  for (const [before, after] of ESBUILD_WASM_PATCHES) {
    const count = main.split(before).length - 1;
    if (count !== 1) throw new Error(`[build] esbuild-wasm lib/main.js: expected "${before.trim()}" once, found it ${count} times; update ESBUILD_WASM_PATCHES in esbuild.js for this esbuild-wasm version`);
    main = main.replace(before, after);
  }
  fs.writeFileSync(mainPath, main);
}

/** Loads a TypeScript module of src/ (bundled in memory) for the generators below. */
function loadSource(file) {
  const out = esbuild.buildSync({
    entryPoints: [path.join(root, file)],
    bundle: true, write: false, platform: 'node', format: 'cjs', logLevel: 'silent', packages: 'external',
  });
  const m = { exports: {} };
  new Function('module', 'exports', 'require', out.outputFiles[0].text)(m, m.exports, require);
  return m.exports;
}

/**
 * The generated, checked-in files: package.json's contributes.commands and contributes.menus
 * (from src/vscode/commandTable.ts) and schemas/*.json (from src/core/jsonSchemas.ts).
 * Each entry is [file, text it must have, its source].
 */
function generatedFiles() {
  const { contributedCommands, contributedMenus } = loadSource('src/vscode/commandTable.ts');
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  pkg.contributes = pkg.contributes || {};
  pkg.contributes.commands = contributedCommands();
  pkg.contributes.menus = contributedMenus();
  const { SCHEMA_FILES, schemaText, projectFileSchema, testEventSchema } = loadSource('src/core/jsonSchemas.ts');
  return [
    ['package.json', JSON.stringify(pkg, null, 2) + '\n', 'src/vscode/commandTable.ts'],
    [SCHEMA_FILES.project, schemaText(projectFileSchema()), 'src/core/jsonSchemas.ts'],
    [SCHEMA_FILES.testEvent, schemaText(testEventSchema()), 'src/core/jsonSchemas.ts'],
  ];
}

/** Writes the generated files that changed; with --check, fails naming each stale one instead. */
function generate() {
  const stale = generatedFiles().filter(([file, text]) => {
    const p = path.join(root, file);
    return !fs.existsSync(p) || fs.readFileSync(p, 'utf8') !== text;
  });
  if (checkOnly && stale.length > 0) {
    for (const [file, , from] of stale) console.error(`${file} is out of date with ${from}: run \`npm run build\` (node esbuild.js) and commit the result.`);
    process.exit(1);
  }
  for (const [file, text, from] of stale) {
    fs.writeFileSync(path.join(root, file), text);
    console.log(`[build] ${file} regenerated from ${from}`);
  }
}

function copyFiles() {
  for (const [from, to] of copies) {
    const src = path.join(root, from);
    if (!fs.existsSync(src)) throw new Error(`[build] missing file to copy: ${from}`);
    fs.mkdirSync(path.dirname(path.join(root, to)), { recursive: true });
    fs.copyFileSync(src, path.join(root, to));
  }
}

function options(b) {
  return {
    entryPoints: [path.join(root, b.entry)],
    outfile: path.join(root, b.outfile),
    bundle: true,
    platform: b.platform,
    format: b.format || 'cjs',
    target: b.platform === 'browser' ? 'es2022' : 'node20',
    external: b.external || [],
    minify: production,
    sourcemap: !production,
    sourcesContent: false,
    banner: b.banner ? { js: b.banner } : undefined,
    footer: b.footer ? { js: b.footer } : undefined,
    logLevel: 'warning',
    metafile: true,
    mainFields: b.platform === 'browser' ? ['browser', 'module', 'main'] : ['module', 'main'],
    define: { __VERSION__: JSON.stringify(require('./package.json').version) },
  };
}

async function main() {
  if (checkOnly || !skipGenerate) generate();
  if (checkOnly) return;
  if (production) fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
  copyFiles();
  copyEsbuildWasm();
  if (watch) {
    for (const b of bundles) {
      const ctx = await esbuild.context(options(b));
      await ctx.watch();
    }
    console.log('[watch] watching', bundles.map((b) => b.entry).join(', '));
    return;
  }
  await Promise.all(bundles.map((b) => esbuild.build(options(b))));
  const cli = path.join(root, 'dist/cli.js');
  if (fs.existsSync(cli)) fs.chmodSync(cli, 0o755);
  console.log(`[build] ${production ? 'production' : 'development'} build of ${bundles.length} bundles done`);
}

main().catch((e) => { console.error(e.message || e); process.exit(1); });
