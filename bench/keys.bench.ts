// Token signing and verification speed against OpenSSL in the same run: per-operation time of
// signToken / verifyToken (with pre-parsed KeyObjects, as the local endpoint uses them) over
// `openssl speed -seconds 1 rsaN`'s sign/s and verify/s. Goals: sign ≤ 1.2×, verify ≤ 1.5×.
// Run alone: `npx tsc -p tsconfig.test.json && node out/bench/keys.bench.js`.
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import { ALLOWED_KEYGEN_BITS } from '../src/core/constants';
import { generateKeyPair } from '../src/core/keys';
import { signToken, verifyToken } from '../src/core/tokens';

export type { BenchRow as Row } from './types';
import type { BenchRow as Row } from './types';

const SIGN_GOAL = 1.2;
const VERIFY_GOAL = 1.5;
const MEASURE_MS = 1000;
const TOKEN = 'MyStringThatNeedsToBeSigned';

/** Operations per second of `op`, run for about MEASURE_MS after a short warm-up. */
function opsPerSecond(op: () => unknown): number {
  const until = (ms: number): number => {
    let count = 0;
    const start = process.hrtime.bigint();
    const limit = BigInt(ms) * 1_000_000n;
    let elapsed = 0n;
    // Check the clock every 16 ops so reading it does not weigh on fast verifications.
    while (elapsed < limit) {
      for (let i = 0; i < 16; i++) op();
      count += 16;
      elapsed = process.hrtime.bigint() - start;
    }
    return count / (Number(elapsed) / 1e9);
  };
  until(MEASURE_MS / 5);
  return until(MEASURE_MS);
}

interface OpensslSpeed {
  signPerSecond: number;
  verifyPerSecond: number;
}

/** Parses `openssl speed rsaN` output; the column set differs between OpenSSL 3.0 and 3.2+. */
export function parseOpensslSpeed(output: string): Map<number, OpensslSpeed> {
  const result = new Map<number, OpensslSpeed>();
  const lines = output.split('\n');
  const header = lines.find((l) => /\bsign\/s\b/.test(l) && /\bverify\/s\b/.test(l));
  if (!header) return result;
  const columns = header.trim().split(/\s+/);
  for (const line of lines) {
    const m = /^rsa\s*(\d+)\s+bits\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const values = m[2].trim().split(/\s+/).map((v) => parseFloat(v.replace(/s$/, '')));
    if (values.length !== columns.length) continue;
    result.set(Number(m[1]), { signPerSecond: values[columns.indexOf('sign/s')], verifyPerSecond: values[columns.indexOf('verify/s')] });
  }
  return result;
}

function opensslSpeed(bits: readonly number[]): Map<number, OpensslSpeed> {
  const r = spawnSync('openssl', ['speed', '-seconds', String(MEASURE_MS / 1000), ...bits.map((b) => `rsa${b}`)], { encoding: 'utf8' });
  if (r.status !== 0) return new Map();
  return parseOpensslSpeed(r.stdout);
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

function row(name: string, oursPerSecond: number, referencePerSecond: number | undefined, goal: number): Row {
  const microseconds = 1e6 / oursPerSecond;
  if (referencePerSecond === undefined || !Number.isFinite(referencePerSecond)) {
    return { name, value: round(microseconds, 1), unit: 'µs/op', goal: `ratio ≤ ${goal} (openssl unavailable)` };
  }
  const reference = 1e6 / referencePerSecond;
  const ratio = round(microseconds / reference, 2);
  return { name, value: round(microseconds, 1), unit: 'µs/op', reference: round(reference, 1), referenceName: 'openssl speed', ratio, goal: `ratio ≤ ${goal}`, pass: ratio <= goal };
}

export async function run(): Promise<Row[]> {
  const reference = opensslSpeed(ALLOWED_KEYGEN_BITS);
  const rows: Row[] = [];
  for (const bits of ALLOWED_KEYGEN_BITS) {
    const pair = await generateKeyPair(bits);
    const privateKey = crypto.createPrivateKey(pair.privateKeyPem);
    const keys = [{ name: 'bench', pem: crypto.createPublicKey(pair.publicKeyPem) }];
    const signature = signToken(TOKEN, privateKey);
    if (!verifyToken(TOKEN, signature, keys).valid) throw new Error(`rsa${bits}: the bench signature does not verify`);
    const sign = opsPerSecond(() => signToken(TOKEN, privateKey));
    const verify = opsPerSecond(() => verifyToken(TOKEN, signature, keys));
    rows.push(row(`keys: signToken rsa${bits}`, sign, reference.get(bits)?.signPerSecond, SIGN_GOAL));
    rows.push(row(`keys: verifyToken rsa${bits}`, verify, reference.get(bits)?.verifyPerSecond, VERIFY_GOAL));
    if (bits === ALLOWED_KEYGEN_BITS[0]) {
      // The failure path the local endpoint pays on a bad signature: recover + compare guesses.
      const mistaken = signToken(TOKEN + '\n', privateKey);
      const diagnose = opsPerSecond(() => verifyToken(TOKEN, mistaken, keys));
      rows.push({ name: `keys: verifyToken + diagnosis rsa${bits} (trailing newline)`, value: round(1e6 / diagnose, 1), unit: 'µs/op' });
    }
  }
  return rows;
}

if (require.main === module) {
  run().then(
    (rows) => {
      for (const r of rows) {
        const ref = r.reference !== undefined ? `  openssl ${r.reference} ${r.unit}  ratio ${r.ratio}×  (${r.goal}: ${r.pass ? 'ok' : 'NOT MET'})` : '';
        console.log(`${r.name.padEnd(58)} ${String(r.value).padStart(8)} ${r.unit}${ref}`);
      }
    },
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
