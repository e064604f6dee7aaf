// A throwaway folder and a local runtime for each test of a suite, disposed after it.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LocalRuntime } from '../../src/local/runtime';

export interface TempRuntime {
  readonly dir: string;
  readonly runtime: LocalRuntime;
}

/** A fresh folder named `<prefix>…` in the temp folder and a fresh runtime. */
export function openTempRuntime(prefix: string): TempRuntime {
  return { dir: fs.mkdtempSync(path.join(os.tmpdir(), prefix)), runtime: new LocalRuntime() };
}

/** Stops the runtime's workers and removes the folder. */
export async function closeTempRuntime(t: TempRuntime): Promise<void> {
  await t.runtime.dispose();
  fs.rmSync(t.dir, { recursive: true, force: true });
}
