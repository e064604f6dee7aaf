// Shared by the key, token, key-store and CLI tests: the TEST-ONLY keys in
// test/fixtures/keys, and a check that an error text leaks no key material.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const KEY_FIXTURES = path.join(REPO_ROOT, 'test/fixtures/keys');
export const TEST_PASSPHRASE = 'test-only-passphrase';

export function fixturePath(name: string): string {
  return path.join(KEY_FIXTURES, `TEST_ONLY_${name}`);
}

export function fixture(name: string): string {
  return fs.readFileSync(fixturePath(name), 'utf8');
}

/** Fails when `text` holds a PEM header or any 16-character run of a fixture's base64 body. */
export function assertNoKeyMaterial(text: string): void {
  assert.ok(!/-----BEGIN/.test(text), `leaks a PEM header: ${text}`);
  for (const file of fs.readdirSync(KEY_FIXTURES)) {
    if (!file.startsWith('TEST_ONLY_')) continue;
    const body = fs
      .readFileSync(path.join(KEY_FIXTURES, file), 'utf8')
      .split('\n')
      .filter((l) => !l.startsWith('-----') && !l.includes(':'))
      .join('');
    for (let i = 0; i + 16 <= body.length; i += 16) {
      assert.ok(!text.includes(body.slice(i, i + 16)), `leaks key material of ${file}: ${text}`);
    }
  }
}

/** Runs `fn` and returns the error it throws, failing if it throws none. */
export function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string };
  }
  assert.fail('expected an error');
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Rebuilds the bundles when `bundle` is missing or older than any source in `sourceDirs` (relative to the repository). */
export function buildWhenStale(bundle: string, sourceDirs: readonly string[]): void {
  const newest = Math.max(...sourceDirs.map((d) => newestSource(path.join(REPO_ROOT, d))));
  if (!fs.existsSync(bundle) || fs.statSync(bundle).mtimeMs < newest) execFileSync(process.execPath, ['esbuild.js'], { cwd: REPO_ROOT, stdio: 'ignore' });
}
