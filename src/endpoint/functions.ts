// Lambda functions of the local endpoint: a zip unpacked into a folder, its handler string
// resolved the way the Lambda runtimes resolve it, and run by the local runtime (a warm child
// process per function, as the editor's local invoke does).
//
// Handler strings, as the Lambda runtimes read them:
// - Python: `path/to/module.function`; everything before the last `.` is the module, whose
//   dots are folders (`pkg.mod.fn` and `pkg/mod.fn` both load pkg/mod.py).
// - Node.js: `path/to/module.function.path`; the module is the file name up to its first `.`,
//   tried as .js, .mjs and .cjs; the rest is the (possibly nested) export.
import { createHash, randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { unzipSync } from 'fflate';
import { LAMBDA_UNZIPPED_MAX_BYTES, LAMBDA_ZIP_MAX_BYTES } from '../core/constants';
import type { AuthorizerConfig, HandlerLanguage } from '../core/project';
import { lambdaInvalidParameter } from './wire';
import type { EndpointState, FunctionRecord } from './state';

export interface ResolvedHandler {
  readonly file: string;
  readonly functionName: string;
  readonly language: HandlerLanguage;
}

/** Unpacks a deployment package into `dir` (created), refusing entries that leave it. Returns sha256 (base64) and size. */
export function unpackZip(zip: Buffer, dir: string): { sha256: string; size: number } {
  if (zip.length > LAMBDA_ZIP_MAX_BYTES) throw new RangeError('zip too large');
  let entries: Record<string, Uint8Array>;
  try {
    let total = 0;
    entries = unzipSync(new Uint8Array(zip.buffer, zip.byteOffset, zip.length), {
      filter: (file) => {
        total += file.originalSize;
        if (total > LAMBDA_UNZIPPED_MAX_BYTES) throw lambdaInvalidParameter(`Unzipped size must be smaller than ${LAMBDA_UNZIPPED_MAX_BYTES} bytes`);
        return true;
      },
    });
  } catch (e) {
    if (e instanceof Error && e.name === 'AwsApiError') throw e;
    throw lambdaInvalidParameter('Could not unzip uploaded file. Please check your file, then try to upload again.');
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const root = path.resolve(dir);
  for (const [name, data] of Object.entries(entries)) {
    const target = path.resolve(root, name);
    if (target !== root && !target.startsWith(root + path.sep)) {
      throw lambdaInvalidParameter(`Could not unzip uploaded file: the entry "${name}" points outside the package.`);
    }
    if (name.endsWith('/')) {
      fs.mkdirSync(target, { recursive: true });
      continue;
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, data);
  }
  return { sha256: createHash('sha256').update(zip).digest('base64'), size: zip.length };
}

/** Where the handler string points inside `codeDir`, or why it points nowhere. */
export function resolveLambdaHandler(codeDir: string, runtime: string, handler: string): ResolvedHandler | { error: string } {
  if (runtime.startsWith('python')) {
    const dot = handler.lastIndexOf('.');
    if (dot <= 0 || dot === handler.length - 1) return { error: `Bad handler '${handler}': expected 'module.function', e.g. 'lambda_function.lambda_handler'.` };
    const modulePath = handler.slice(0, dot).replace(/\./g, '/');
    const file = path.join(codeDir, `${modulePath}.py`);
    if (!fs.existsSync(file)) return { error: `Unable to import module '${handler.slice(0, dot)}': No module named '${handler.slice(0, dot)}' (no ${modulePath}.py in the package).` };
    return { file, functionName: handler.slice(dot + 1), language: 'python' };
  }
  const slash = handler.lastIndexOf('/');
  const dir = handler.slice(0, slash + 1);
  const base = handler.slice(slash + 1);
  const dot = base.indexOf('.');
  if (dot <= 0 || dot === base.length - 1) return { error: `Bad handler '${handler}': expected 'module.function', e.g. 'index.handler'.` };
  const moduleName = base.slice(0, dot);
  for (const ext of ['.js', '.mjs', '.cjs']) {
    const file = path.join(codeDir, dir, moduleName + ext);
    if (fs.existsSync(file)) return { file, functionName: base.slice(dot + 1), language: 'javascript' };
  }
  return { error: `Error: Cannot find module '${dir}${moduleName}' (no ${dir}${moduleName}.js, .mjs or .cjs in the package).` };
}

/** The handler a function runs: the workspace file it was registered with, or the one in its package. */
export function handlerOf(state: EndpointState, f: FunctionRecord): ResolvedHandler | { error: string } {
  if (f.workspaceHandler) return { file: f.workspaceHandler.file, functionName: f.workspaceHandler.function, language: f.workspaceHandler.language };
  const dir = state.codeDirOf(f);
  if (!dir) return { error: `Function ${f.FunctionName} has no code.` };
  return resolveLambdaHandler(dir, f.Runtime, f.Handler);
}

/** The shape the local runtime runs: one per function, so each function has its own warm worker. */
export function runtimeConfigOf(f: FunctionRecord, h: ResolvedHandler, region: string): AuthorizerConfig {
  return {
    name: f.FunctionName,
    handler: f.Handler,
    handlerFile: h.file,
    handlerFunction: h.functionName,
    language: h.language,
    runtime: f.Runtime,
    signingDisabled: true,
    signingKeys: [],
    enableCachingForHttp: false,
    status: 'ACTIVE',
    aws: { functionName: f.FunctionName, region },
  };
}

/** The folder a new code revision is unpacked into, relative to the state folder (or absolute in `tempRoot`). */
export function newCodeDir(stateDir: string | undefined, tempRoot: string, functionName: string): { stored: string; absolute: string } {
  const rel = path.join('functions', functionName, randomUUID());
  return stateDir ? { stored: rel, absolute: path.join(stateDir, rel) } : { stored: path.join(tempRoot, rel), absolute: path.join(tempRoot, rel) };
}

/** Lambda's LastModified format: `2026-12-02T02:00:00.000+0000`. */
export function lambdaTimestamp(date = new Date()): string {
  return date.toISOString().replace('Z', '+0000');
}
