// The Node.js worker: a child process that loads one handler (CommonJS, ES module or
// TypeScript) and runs it for each invoke request, the way the Lambda Node.js runtime does.
// Requests and results travel as JSON lines on fd 3; the handler's stdout/stderr are the
// invocation's logs, each closed by a marker line so the parent knows the output is complete.
// Bundled by esbuild.js to dist/runtime/nodeWorker.js; esbuild itself stays external and is
// loaded only for a TypeScript handler (esbuildLoader.ts).
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { spawnSync } from 'child_process';
import * as nodeModule from 'module';
import { pathToFileURL } from 'url';
import { loadEsbuild } from './esbuildLoader';
import {
  LambdaContextFields,
  RuntimeError,
  WORKER_SETTINGS_ENV,
  WorkerMessage,
  WorkerRequest,
  WorkerSettings,
  framedLine,
  logMarkerLine,
} from './protocol';

type ModuleKind = 'commonjs' | 'esm' | 'typescript';
type HandlerExports = Record<string, unknown>;
type HandlerFunction = (event: unknown, context: object, callback: (err?: unknown, result?: unknown) => void) => unknown;

/** Node's CommonJS loader internals used to run bundled TypeScript as if it lived at the .ts path. */
interface CommonJsModuleInternals {
  exports: HandlerExports;
  filename: string;
  paths: string[];
  _compile(code: string, filename: string): void;
}
interface CommonJsModuleClass {
  new (id: string, parent?: object): CommonJsModuleInternals;
  _nodeModulePaths(dir: string): string[];
}

/** The esbuild API surface this worker uses. */
interface EsbuildMessage {
  text: string;
  location: { file: string; line: number; column: number; lineText: string } | null;
}
interface EsbuildApi {
  readonly version?: string;
  build(options: Record<string, unknown>): Promise<{
    outputFiles: Array<{ text: string }>;
    metafile: { inputs: Record<string, unknown> };
  }>;
  /** Ends esbuild's service process (0.18+); a worker bundles once, so it need not stay. */
  stop?(): void;
}

const settings = JSON.parse(process.env[WORKER_SETTINGS_ENV] ?? '{}') as WorkerSettings;
delete process.env[WORKER_SETTINGS_ENV];
const handlerFile = settings.handlerFile;
const handlerDir = path.dirname(handlerFile);
const requireFromHandler = nodeModule.createRequire(handlerFile);

// A plain `import()` would be rewritten to `require()` by a CommonJS compile of this file.
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<HandlerExports>;

const channel = new net.Socket({ fd: 3, readable: true, writable: true });

/** The parent's per-run nonce: the first line it sends, read before the handler loads. */
let channelNonce = '';

function send(message: WorkerMessage | string): void {
  channel.write(framedLine(channelNonce, typeof message === 'string' ? message : JSON.stringify(message)));
}

/** Lines of the channel, in order; the first is the nonce. */
const channelLines: string[] = [];
let onChannelLine: (() => void) | undefined;
{
  let buffered = '';
  channel.setEncoding('utf8');
  channel.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim()) channelLines.push(line);
    }
    onChannelLine?.();
  });
  channel.on('end', () => process.exit(0));
}

function readNonce(): Promise<string> {
  return new Promise((resolve) => {
    const take = () => {
      if (channelLines.length === 0) return;
      onChannelLine = undefined;
      resolve(channelLines.shift() as string);
    };
    onChannelLine = take;
    take();
  });
}

function moduleKind(file: string): ModuleKind {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.ts' || ext === '.mts' || ext === '.cts') return 'typescript';
  if (ext === '.mjs') return 'esm';
  if (ext === '.cjs') return 'commonjs';
  return nearestPackageType(path.dirname(file)) === 'module' ? 'esm' : 'commonjs';
}

function nearestPackageType(dir: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    const pkg = path.join(d, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        return (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { type?: string }).type;
      } catch {
        return undefined;
      }
    }
    if (path.dirname(d) === d) return undefined;
  }
}

function isOwnSource(file: string): boolean {
  return path.isAbsolute(file) && !file.split(path.sep).includes('node_modules') && file !== __filename;
}

/** ES modules have no loader cache to ask, so their sources are found by scanning the folder. */
function scanSources(dir: string, depth: number, out: string[]): void {
  if (depth > settings.scanMaxDepth || out.length >= settings.scanMaxFiles) return;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (out.length >= settings.scanMaxFiles) return;
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) scanSources(full, depth + 1, out);
    else if (/\.(m?js|cjs|json)$/i.test(e.name)) out.push(full);
  }
}

let reportedFiles = new Set<string>();

function commonJsFiles(): string[] {
  return Object.keys(require.cache).filter(isOwnSource);
}

/** Files not yet reported; the parent watches them for changes. */
function newFiles(all: string[]): string[] | undefined {
  const fresh = all.filter((f) => !reportedFiles.has(f));
  if (fresh.length === 0) return undefined;
  reportedFiles = new Set([...reportedFiles, ...fresh]);
  return fresh;
}

function errorName(err: unknown): string {
  if (err instanceof Error) return err.constructor?.name && err.constructor.name !== 'Error' ? err.constructor.name : err.name;
  return typeof err;
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0];
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}

/** The stack without this worker's frames and Node internals: only what the user wrote. */
function userStack(err: unknown): string | undefined {
  if (!(err instanceof Error) || !err.stack) return undefined;
  const lines = err.stack
    .split('\n')
    .filter((line) => !line.includes(__filename) && !line.includes('node:internal') && !line.includes('(node:'));
  // The promise this worker wraps each call in is the last frame of every handler stack.
  while (lines.length > 1 && /^\s+at new Promise \(<anonymous>\)$/.test(lines[lines.length - 1])) lines.pop();
  return lines.join('\n');
}

/** Frames of user code in a stack (not Node internals, not this worker). */
function hasUserFrame(err: Error): boolean {
  return (err.stack ?? '').split('\n').some((l) => /^\s+at /.test(l) && !l.includes('node:internal') && !l.includes(__filename));
}

class LoadFailure extends Error {
  constructor(readonly runtimeError: RuntimeError) {
    super(runtimeError.message);
  }
}

async function loadTypeScript(): Promise<{ exports: HandlerExports; files: string[] }> {
  // This bundle sits in dist/runtime, next to the shipped esbuild-wasm.
  const loaded = loadEsbuild<EsbuildApi>(handlerFile, { runtimeDir: __dirname, toolkitDir: __dirname });
  const esbuild = loaded?.api;
  if (!esbuild) {
    throw new LoadFailure({
      code: 'TYPESCRIPT_COMPILER_NOT_FOUND',
      message: `Cannot run ${path.basename(handlerFile)}: TypeScript handlers are bundled with esbuild; none was found in the project and the toolkit's esbuild-wasm is missing from ${__dirname}. Reinstall the extension, or add esbuild to your project: npm install --save-dev esbuild.`,
      detail: { command: 'esbuild' },
    });
  }
  let result: Awaited<ReturnType<EsbuildApi['build']>>;
  try {
    result = await esbuild.build({
      entryPoints: [handlerFile],
      outfile: path.join(handlerDir, '__iot_authz_bundle.js'),
      bundle: true,
      write: false,
      platform: 'node',
      format: 'cjs',
      target: `node${process.versions.node.split('.')[0]}`,
      // Dependencies load from the handler's node_modules at run time, as in the deployed zip.
      packages: 'external',
      sourcemap: 'inline',
      metafile: true,
      logLevel: 'silent',
      absWorkingDir: handlerDir,
    });
  } catch (e) {
    const first = (e as { errors?: EsbuildMessage[] }).errors?.[0];
    const loc = first?.location;
    if (!first || !loc) {
      // Not a problem in the source: esbuild itself failed (too old for these options, broken install).
      throw new LoadFailure({
        code: 'INIT_ERROR',
        message: `Bundling ${path.basename(handlerFile)} with esbuild ${esbuild.version ?? ''} failed: ${first?.text ?? errorMessage(e)}. Use esbuild 0.18 or newer.`,
        detail: { command: 'esbuild' },
      });
    }
    const file = path.resolve(handlerDir, loc.file);
    throw new LoadFailure({
      code: 'SYNTAX_ERROR',
      message: `${file}:${loc.line}:${loc.column + 1}: ${first.text}`,
      detail: { file, line: loc.line, column: loc.column + 1 },
    });
  } finally {
    esbuild.stop?.();
  }
  const files = Object.keys(result.metafile.inputs).map((f) => path.resolve(handlerDir, f)).filter(isOwnSource);
  const Module = nodeModule.Module as unknown as CommonJsModuleClass;
  const m = new Module(handlerFile, module);
  m.filename = handlerFile;
  m.paths = Module._nodeModulePaths(handlerDir);
  m._compile(result.outputFiles[0].text, handlerFile);
  return { exports: m.exports, files };
}

/** ES module syntax errors carry no location; `node --check` prints it. */
function locateEsmSyntaxError(candidates: string[]): { file: string; line: number } | undefined {
  for (const file of candidates) {
    const check = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
    const m = /^(.*):(\d+)\r?$/m.exec(check.stderr ?? '');
    if (check.status !== 0 && m) return { file: m[1].replace(/^file:\/\//, ''), line: Number(m[2]) };
  }
  return undefined;
}

function loadErrorToRuntimeError(err: unknown, kind: ModuleKind): RuntimeError {
  if (err instanceof LoadFailure) return err.runtimeError;
  const e = err as NodeJS.ErrnoException;
  // A parse error: CommonJS puts `file:line` first in the stack; an ES module's has no user
  // frame. A SyntaxError thrown by running code (JSON.parse at top level) is an init error.
  const parseLocation = err instanceof SyntaxError ? /^(.*):(\d+)\r?\n/.exec(err.stack ?? '') : null;
  if (err instanceof SyntaxError && (parseLocation || (kind === 'esm' && !hasUserFrame(err)))) {
    let where: { file: string; line: number } | undefined;
    if (parseLocation) where = { file: parseLocation[1], line: Number(parseLocation[2]) };
    else {
      const candidates: string[] = [];
      scanSources(handlerDir, 0, candidates);
      where = locateEsmSyntaxError([handlerFile, ...candidates.filter((f) => f !== handlerFile && !f.endsWith('.json'))]);
    }
    return {
      code: 'SYNTAX_ERROR',
      message: where ? `${where.file}:${where.line}: ${err.message}` : `Syntax error while loading ${handlerFile}: ${err.message}`,
      detail: where ? { file: where.file, line: where.line, errorType: 'SyntaxError' } : { errorType: 'SyntaxError' },
    };
  }
  if (e?.code === 'MODULE_NOT_FOUND' || e?.code === 'ERR_MODULE_NOT_FOUND') {
    const missing = /Cannot find (?:module|package) '([^']+)'/.exec(e.message)?.[1];
    return {
      code: 'IMPORT_ERROR',
      message: `Unable to import module '${path.basename(handlerFile)}': ${e.message.split('\n')[0]}${missing && !missing.startsWith('.') && !path.isAbsolute(missing) ? ` Install it next to the handler (npm install ${missing}).` : ''}`,
      detail: { missingModule: missing, errorType: errorName(err), stack: userStack(err) },
    };
  }
  return {
    code: 'INIT_ERROR',
    message: `The handler module threw while loading: ${errorName(err)}: ${errorMessage(err)}`,
    detail: { errorType: errorName(err), stack: userStack(err) },
  };
}

async function loadHandler(kind: ModuleKind): Promise<{ exports: HandlerExports; files: string[] }> {
  if (kind === 'typescript') return loadTypeScript();
  if (kind === 'esm') {
    const exports = await importModule(pathToFileURL(handlerFile).href);
    const files: string[] = [];
    scanSources(handlerDir, 0, files);
    return { exports, files: [handlerFile, ...files.filter((f) => f !== handlerFile)] };
  }
  const exports = requireFromHandler(handlerFile) as HandlerExports;
  return { exports, files: commonJsFiles() };
}

function functionsOf(exports: HandlerExports, prefix = ''): string[] {
  const names: string[] = [];
  for (const key of Object.keys(exports)) {
    const value = exports[key];
    if (typeof value === 'function') names.push(prefix + key);
    else if (prefix === '' && value && typeof value === 'object' && key !== 'default') {
      names.push(...functionsOf(value as HandlerExports, `${key}.`));
    }
  }
  return names;
}

/** Lambda resolves `module.a.b` through nested exports; so does this. */
function findFunction(exports: HandlerExports, name: string): HandlerFunction | undefined {
  let value: unknown = exports;
  for (const part of name.split('.')) {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
    value = (value as HandlerExports)[part];
  }
  return typeof value === 'function' ? (value as HandlerFunction) : undefined;
}

function buildContext(fields: LambdaContextFields, settle: (err: unknown, result?: unknown) => void): object {
  let waitsForEmptyEventLoop = true;
  return {
    awsRequestId: fields.awsRequestId,
    functionName: fields.functionName,
    functionVersion: fields.functionVersion,
    // The Node.js runtime passes the memory size as a string.
    memoryLimitInMB: String(fields.memoryLimitInMB),
    invokedFunctionArn: fields.invokedFunctionArn,
    logGroupName: fields.logGroupName,
    logStreamName: fields.logStreamName,
    getRemainingTimeInMillis: () => Math.max(0, fields.deadlineMs - Date.now()),
    get callbackWaitsForEmptyEventLoop() {
      return waitsForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(value: boolean) {
      waitsForEmptyEventLoop = value;
    },
    succeed: (result: unknown) => settle(null, result),
    fail: (err: unknown) => settle(err ?? 'handled'),
    done: (err: unknown, result: unknown) => settle(err, result),
  };
}

type Outcome = { error: RuntimeError } | { json: string };

let currentInvocation: ((err: unknown) => void) | undefined;

function runHandler(fn: HandlerFunction, req: Extract<WorkerRequest, { type: 'invoke' }>): Promise<{ err: unknown; result: unknown; syncReturn?: boolean }> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (err: unknown, result?: unknown) => {
      if (settled) return;
      settled = true;
      currentInvocation = undefined;
      resolve({ err: err === undefined ? null : err, result });
    };
    currentInvocation = (err) => settle(err);
    const context = buildContext(req.context, settle);
    // Like the Lambda runtime, a callback completes the invocation; this worker does not wait
    // for the event loop to drain (its channel keeps the loop alive), as if
    // callbackWaitsForEmptyEventLoop were false.
    const callback = (err?: unknown, result?: unknown) => settle(err ?? null, result);
    let returned: unknown;
    try {
      returned = fn(req.event, context, callback);
    } catch (e) {
      settle(e ?? new Error('The handler threw a null value.'));
      return;
    }
    if (returned && typeof (returned as PromiseLike<unknown>).then === 'function') {
      (returned as PromiseLike<unknown>).then(
        (result) => settle(null, result),
        (e: unknown) => settle(e ?? new Error('The handler rejected with no reason.')),
      );
    } else if (!settled && fn.length < 3) {
      // Lambda ignores what a non-async handler returns and answers null once the loop drains.
      settled = true;
      currentInvocation = undefined;
      resolve({ err: null, result: returned, syncReturn: true });
    }
  });
}

function outcomeOf(err: unknown, result: unknown, syncReturn: boolean | undefined): Outcome {
  if (err !== null && err !== undefined) {
    return {
      error: {
        code: 'HANDLER_EXCEPTION',
        message: err instanceof Error
          ? `The handler failed: ${errorName(err)}: ${errorMessage(err)}`
          : `The handler failed with the ${typeof err} ${JSON.stringify(errorMessage(err))} (not an Error object).`,
        detail: { errorType: errorName(err), stack: userStack(err) },
      },
    };
  }
  if (syncReturn) {
    return {
      error: {
        code: 'NO_RESPONSE',
        message: result === undefined
          ? 'The handler is neither async nor called its callback, so Lambda answers null and AWS refuses the connection. Make it async, or call callback(null, response).'
          : 'The handler returned a value but is not async: Lambda ignores that value and answers null. Make the handler async, or call callback(null, response).',
      },
    };
  }
  if (result === undefined || result === null) {
    return {
      error: {
        code: 'NO_RESPONSE',
        message: `The handler returned ${result === null ? 'null' : 'nothing (undefined)'}: AWS needs an object with isAuthenticated, principalId and policyDocuments.`,
      },
    };
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(result);
  } catch (e) {
    return {
      error: {
        code: 'RESPONSE_NOT_JSON',
        message: `The handler's answer cannot be converted to JSON: ${errorMessage(e)}. Return plain objects, strings, numbers, booleans and arrays.`,
        detail: { errorType: errorName(e) },
      },
    };
  }
  if (json === undefined) {
    return { error: { code: 'RESPONSE_NOT_JSON', message: `The handler returned a ${typeof result}, which has no JSON form. Return an object.` } };
  }
  const size = Buffer.byteLength(json);
  if (size > settings.maxResponseBytes) {
    return {
      error: {
        code: 'RESPONSE_TOO_LARGE',
        message: `The handler's answer is ${size} bytes; Lambda refuses answers over ${settings.maxResponseBytes} bytes.`,
        detail: { sizeBytes: size, limitBytes: settings.maxResponseBytes },
      },
    };
  }
  return { json };
}

function closeLogs(id: number): void {
  const line = logMarkerLine(settings.logMarker, id);
  process.stdout.write(line);
  process.stderr.write(line);
}

async function main(): Promise<void> {
  process.setSourceMapsEnabled(true);
  const kind = moduleKind(handlerFile);
  const version = process.version;
  channelNonce = await readNonce();
  const started = performance.now();
  let exports: HandlerExports;
  try {
    const loaded = await loadHandler(kind);
    exports = loaded.exports;
    newFiles(loaded.files);
  } catch (e) {
    closeLogs(0);
    const files = kind === 'commonjs' ? commonJsFiles() : [handlerFile];
    send({ type: 'ready', version, initMs: performance.now() - started, files, error: loadErrorToRuntimeError(e, kind) });
    channel.end(() => process.exit(0));
    return;
  }
  send({ type: 'ready', version, initMs: performance.now() - started, files: [...reportedFiles] });

  const queue: WorkerRequest[] = [];
  let busy = false;
  const pump = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    while (queue.length > 0) {
      const req = queue.shift() as WorkerRequest;
      if (req.type === 'echo') {
        send({ type: 'echo', id: req.id, payload: req.payload });
        continue;
      }
      const fn = findFunction(exports, req.functionName);
      const t0 = performance.now();
      let outcome: Outcome;
      if (!fn) {
        const available = functionsOf(exports);
        outcome = {
          error: {
            code: 'FUNCTION_NOT_FOUND',
            message: `${path.basename(handlerFile)} has no exported function "${req.functionName}". ${available.length ? `It exports: ${available.join(', ')}.` : 'It exports no functions.'} Fix the name after ":" in "handler", or export the function.`,
            detail: { availableFunctions: available },
          },
        };
      } else {
        const { err, result, syncReturn } = await runHandler(fn, req);
        outcome = outcomeOf(err, result, syncReturn);
      }
      const durationMs = performance.now() - t0;
      const files = kind === 'commonjs' ? newFiles(commonJsFiles()) : undefined;
      closeLogs(req.id);
      if ('json' in outcome) {
        send(`{"type":"result","id":${req.id},"durationMs":${durationMs},"maxRssKb":${process.resourceUsage().maxRSS},"response":${outcome.json}${files ? `,"files":${JSON.stringify(files)}` : ''}}`);
      } else {
        send({ type: 'result', id: req.id, durationMs, error: outcome.error, files, maxRssKb: process.resourceUsage().maxRSS });
      }
    }
    busy = false;
  };

  onChannelLine = () => {
    while (channelLines.length > 0) queue.push(JSON.parse(channelLines.shift() as string) as WorkerRequest);
    void pump();
  };
  onChannelLine();
}

// Errors that escape the handler (a throw in a timer, an unhandled rejection) fail the
// running invocation, as in Lambda; with no invocation running they end the worker.
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (err: unknown) => {
    if (currentInvocation) currentInvocation(err);
    else {
      process.stderr.write(`${errorName(err)}: ${errorMessage(err)}\n`);
      process.exit(1);
    }
  });
}

void main();
