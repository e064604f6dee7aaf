// Builds the Lambda deployment zip of an authorizer handler in memory. Python and JavaScript
// handlers are packaged as they are (the handler's folder); TypeScript is bundled to one
// CommonJS file with esbuild (the project's, else the toolkit's esbuild-wasm; esbuildLoader.ts).
// The zip is deterministic (sorted entries, fixed timestamps and modes), so unchanged sources give the CodeSha256 Lambda already reports and a re-deploy
// changes nothing.
import * as crypto from 'crypto';
import { promises as fsp } from 'fs';
import * as path from 'path';
import { zipSync, Zippable } from 'fflate';
import { DEPLOY_ZIP_MTIME, PACKAGE_MAX_FILES, PACKAGE_SKIP_DIRS, PROJECT_FILE_NAME, TEST_EVENT_SUFFIX } from '../core/constants';
import { UserError } from '../core/errors';
import type { AuthorizerConfig } from '../core/project';
import { EsbuildLoadOptions, LoadedEsbuild, loadEsbuild } from '../local/runtime/esbuildLoader';
import { runtimeAssetsDir } from '../local/runtime/assets';

export interface HandlerPackage {
  readonly zip: Uint8Array;
  /** base64 SHA-256 of the zip: what Lambda reports as CodeSha256. */
  readonly sha256: string;
  /** Lambda's Handler setting. */
  readonly handler: string;
  /** Entry names, sorted. */
  readonly files: readonly string[];
  /** How TypeScript was bundled, when it was. */
  readonly bundler?: string;
}

/** The esbuild API surface packaging uses. */
interface EsbuildApi {
  readonly version?: string;
  build(options: Record<string, unknown>): Promise<{ outputFiles?: Array<{ path: string; contents: Uint8Array }> }>;
}

// Local time components, so the DOS timestamp fflate writes is the same in every time zone.
const ZIP_MTIME = new Date(DEPLOY_ZIP_MTIME.year, DEPLOY_ZIP_MTIME.month - 1, DEPLOY_ZIP_MTIME.day);
// Unix mode 0644 in the upper half of the external attributes, "made by" Unix (3).
const ZIP_FILE_ATTRS = (0o100644 << 16) >>> 0;

export function sha256Base64(data: Uint8Array): string {
  return crypto.createHash('sha256').update(data).digest('base64');
}

/** A zip of `entries` (name → bytes) that depends only on the names and bytes. */
export function deterministicZip(entries: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const tree: Zippable = {};
  for (const name of [...entries.keys()].sort()) {
    tree[name] = [entries.get(name) as Uint8Array, { mtime: ZIP_MTIME, os: 3, attrs: ZIP_FILE_ATTRS, level: 6 }];
  }
  return zipSync(tree);
}

function skipFile(name: string): boolean {
  return name.startsWith('.') || name === PROJECT_FILE_NAME || name.endsWith(TEST_EVENT_SUFFIX) || name.endsWith('.pem') || name.endsWith('.zip') || name.endsWith('.pyc');
}

/** The handler's folder as it is: every file but hidden ones, keys, test events, the project file and PACKAGE_SKIP_DIRS. */
async function folderEntries(root: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const walk = async (dir: string, rel: string): Promise<void> => {
    const items = (await fsp.readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const item of items) {
      const relName = rel ? `${rel}/${item.name}` : item.name;
      if (item.isDirectory()) {
        if (item.name.startsWith('.') || (PACKAGE_SKIP_DIRS as readonly string[]).includes(item.name)) continue;
        await walk(path.join(dir, item.name), relName);
      } else if (item.isFile() && !skipFile(item.name)) {
        if (out.size >= PACKAGE_MAX_FILES) throw new UserError(`The handler's folder ${root} holds more than ${PACKAGE_MAX_FILES} files to package. Put the handler in a folder of its own.`, 'PACKAGE_TOO_MANY_FILES');
        out.set(relName, new Uint8Array(await fsp.readFile(path.join(dir, item.name))));
      }
    }
  };
  await walk(root, '');
  return out;
}

/** esbuild from the handler's project, else the toolkit's, else the esbuild-wasm shipped in dist/runtime. */
export function resolveEsbuild(handlerFile: string, opts: EsbuildLoadOptions = {}): LoadedEsbuild<EsbuildApi> | undefined {
  let runtimeDir = opts.runtimeDir;
  if (!runtimeDir) {
    try {
      runtimeDir = runtimeAssetsDir();
    } catch {
      // no runtime files (a build without them): only a project or toolkit esbuild will do
    }
  }
  return loadEsbuild<EsbuildApi>(handlerFile, { ...opts, runtimeDir });
}

function nodeTarget(runtime: string): string {
  const m = /^nodejs(\d+)\.x$/.exec(runtime);
  return m ? `node${m[1]}` : 'node20';
}

async function bundleTypeScript(config: AuthorizerConfig, esbuild: EsbuildApi | undefined): Promise<{ code: Uint8Array; bundler: string }> {
  const loaded = esbuild ? undefined : resolveEsbuild(config.handlerFile);
  const api = esbuild ?? loaded?.api;
  if (!api) {
    throw new UserError(`Cannot package ${path.basename(config.handlerFile)}: TypeScript handlers are bundled with esbuild; none was found in the project and the toolkit's esbuild-wasm is missing. Reinstall the extension, or add esbuild to your project: npm install --save-dev esbuild.`, 'PACKAGE_NO_ESBUILD');
  }
  try {
    const r = await api.build({
      entryPoints: [config.handlerFile],
      outfile: 'index.js',
      bundle: true,
      write: false,
      platform: 'node',
      format: 'cjs',
      target: nodeTarget(config.runtime),
      // The Lambda Node runtimes ship the AWS SDK v3.
      external: ['@aws-sdk/*'],
      minify: false,
      sourcemap: false,
      logLevel: 'silent',
      absWorkingDir: path.dirname(config.handlerFile),
    });
    const out = r.outputFiles?.[0];
    if (!out) throw new Error('esbuild wrote no output');
    return { code: out.contents, bundler: `${loaded?.source === 'wasm' ? 'esbuild-wasm' : 'esbuild'} ${api.version ?? ''}`.trim() };
  } catch (e) {
    const first = (e as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } | null }> }).errors?.[0];
    const where = first?.location ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: ` : '';
    throw new UserError(`Bundling ${path.basename(config.handlerFile)} failed: ${where}${first?.text ?? (e as Error).message}`, 'PACKAGE_BUNDLE_FAILED');
  }
}

/** Packages the authorizer's handler as Lambda will run it. */
export async function packageHandler(config: AuthorizerConfig, options: { esbuild?: EsbuildApi } = {}): Promise<HandlerPackage> {
  const moduleName = path.basename(config.handlerFile).replace(/\.[^.]+$/, '');
  let entries: Map<string, Uint8Array>;
  let handler: string;
  let bundler: string | undefined;
  if (config.language === 'typescript') {
    const { code, bundler: used } = await bundleTypeScript(config, options.esbuild);
    entries = new Map([['index.js', code]]);
    handler = `index.${config.handlerFunction}`;
    bundler = used;
  } else {
    try {
      entries = await folderEntries(path.dirname(config.handlerFile));
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`Cannot read the handler's folder ${path.dirname(config.handlerFile)}: ${(e as Error).message}`, 'PACKAGE_READ_FAILED');
    }
    if (![...entries.keys()].includes(path.basename(config.handlerFile))) {
      throw new UserError(`The handler file ${config.handlerFile} does not exist: fix "handler" in ${PROJECT_FILE_NAME}.`, 'PACKAGE_NO_HANDLER');
    }
    handler = `${moduleName}.${config.handlerFunction}`;
  }
  const zip = deterministicZip(entries);
  return { zip, sha256: sha256Base64(zip), handler, files: [...entries.keys()].sort(), ...(bundler ? { bundler } : {}) };
}
