// The example workspace signs its test events with a key named "example". Private keys are
// never committed, so `npm start` and `npm test` create this one on first use (0600 file in a
// 0700 folder, git-ignored) and leave an existing one alone.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

function ensureExampleKey(workspace = path.resolve(__dirname, '../examples/workspace')) {
  const dir = path.join(workspace, '.iot-authz/keys/example');
  const privateFile = path.join(dir, 'private_key.pem');
  const publicFile = path.join(dir, 'public_key.pem');
  if (fs.existsSync(privateFile) && fs.existsSync(publicFile)) return false;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  fs.writeFileSync(privateFile, privateKey, { mode: 0o600, flag: 'wx' });
  fs.writeFileSync(publicFile, publicKey, { mode: 0o644 });
  console.log(`[example] created the example signing key in ${path.relative(process.cwd(), dir) || dir}`);
  return true;
}

if (require.main === module) ensureExampleKey();
module.exports = { ensureExampleKey };
