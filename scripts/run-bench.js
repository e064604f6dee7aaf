// `npm run bench`: production build (sizes are those users get), then every bench module.
// IOT_AUTHZ_BENCH=size,keys limits the run to modules whose file name starts so.
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');
const { ensureDependencies, root } = require('./ensure-deps');

ensureDependencies();
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status || 1);
};
run('bash', ['scripts/test-env.sh']);
run(process.execPath, ['esbuild.js', '--production']);
run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.test.json']);
run(process.execPath, [path.join(root, 'out/bench/index.js')]);
