// Finds the runtime files (the Node worker bundle and the Python bootstrap) that esbuild.js
// puts in dist/runtime. The same search works from every place this code runs: bundled into
// dist/extension.js or dist/cli.js (they sit next to dist/runtime) and compiled to out/ for
// tests (dist/runtime is found by walking up to the repository root).
import * as fs from 'fs';
import * as path from 'path';
import { NODE_WORKER_FILE, PYTHON_BOOTSTRAP_FILE, RUNTIME_ASSETS_DIR } from '../../core/constants';
import { UserError } from '../../core/errors';

function hasAssets(dir: string): boolean {
  return fs.existsSync(path.join(dir, NODE_WORKER_FILE)) && fs.existsSync(path.join(dir, PYTHON_BOOTSTRAP_FILE));
}

/** The folder holding nodeWorker.js and python_bootstrap.py; throws when the build has not run. */
export function runtimeAssetsDir(startDir: string = __dirname): string {
  for (let dir = path.resolve(startDir); ; dir = path.dirname(dir)) {
    for (const candidate of [path.join(dir, RUNTIME_ASSETS_DIR), path.join(dir, 'dist', RUNTIME_ASSETS_DIR)]) {
      if (hasAssets(candidate)) return candidate;
    }
    if (path.dirname(dir) === dir) break;
  }
  throw new UserError(
    `The local runtime files (${RUNTIME_ASSETS_DIR}/${NODE_WORKER_FILE}, ${RUNTIME_ASSETS_DIR}/${PYTHON_BOOTSTRAP_FILE}) were not found near ${startDir}. Build them with \`npm run build\`.`,
    'RUNTIME_ASSETS_MISSING',
  );
}
