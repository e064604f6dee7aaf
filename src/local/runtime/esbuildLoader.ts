// Finds an esbuild to bundle a TypeScript handler with, loaded only when one is bundled: the
// handler project's own `esbuild` (their version), else the toolkit's (present in a source
// checkout, not in the .vsix), else the `esbuild-wasm` copy that esbuild.js ships in
// dist/runtime/esbuild-wasm. That copy is patched at build time to start its WebAssembly
// service with this process's own executable (ELECTRON_RUN_AS_NODE=1) instead of a `node`
// from PATH, so it works inside VS Code with no Node installed.
import * as fs from 'fs';
import * as nodeModule from 'module';
import * as path from 'path';
import { ESBUILD_WASM_DIR } from '../../core/constants';

export type EsbuildSource = 'project' | 'toolkit' | 'wasm';

export interface LoadedEsbuild<T> {
  readonly api: T;
  readonly source: EsbuildSource;
}

export interface EsbuildLoadOptions {
  /** The folder holding the shipped runtime files (dist/runtime), where esbuild-wasm sits. */
  readonly runtimeDir?: string;
  /** Where the toolkit's own `esbuild` is looked up from; this module's folder unless given. */
  readonly toolkitDir?: string;
}

/** The shipped esbuild-wasm package folder under `runtimeDir`, when the build put it there. */
export function shippedEsbuildWasm(runtimeDir: string): string | undefined {
  const dir = path.join(runtimeDir, ESBUILD_WASM_DIR);
  return fs.existsSync(path.join(dir, 'lib', 'main.js')) && fs.existsSync(path.join(dir, 'esbuild.wasm')) ? dir : undefined;
}

/** The first esbuild that loads, with where it came from; undefined when there is none. */
export function loadEsbuild<T>(handlerFile: string, opts: EsbuildLoadOptions = {}): LoadedEsbuild<T> | undefined {
  const fromHandler = nodeModule.createRequire(handlerFile);
  const fromToolkit = nodeModule.createRequire(path.join(opts.toolkitDir ?? __dirname, 'index.js'));
  const wasmDir = opts.runtimeDir ? shippedEsbuildWasm(opts.runtimeDir) : undefined;
  const candidates: Array<[EsbuildSource, () => unknown]> = [
    ['project', () => fromHandler('esbuild')],
    ['toolkit', () => fromToolkit('esbuild')],
  ];
  if (wasmDir) candidates.push(['wasm', () => nodeModule.createRequire(path.join(wasmDir, 'package.json'))('./lib/main.js')]);
  for (const [source, load] of candidates) {
    try {
      return { api: load() as T, source };
    } catch {
      // try the next place
    }
  }
  return undefined;
}
