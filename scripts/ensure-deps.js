// Installs the project's npm dependencies when node_modules is missing or older than
// package-lock.json, so `npm start` and `npm test` work on a fresh clone with no other step.
'use strict';
const { execSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');

function ensureDependencies() {
  const lock = path.join(root, 'package-lock.json');
  const marker = path.join(root, 'node_modules/.package-lock.json');
  const stale = !fs.existsSync(marker) || (fs.existsSync(lock) && fs.statSync(lock).mtimeMs > fs.statSync(marker).mtimeMs + 1000);
  if (!stale) return;
  const cmd = fs.existsSync(lock) ? 'npm ci --no-audit --no-fund' : 'npm install --no-audit --no-fund';
  console.log(`[deps] ${cmd}`);
  execSync(cmd, { cwd: root, stdio: 'inherit' });
}

module.exports = { ensureDependencies, root };
