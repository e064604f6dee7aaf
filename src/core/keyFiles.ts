// File-system failures around key files, as one line that says what to do (no stack), and
// the folder check that warns when a private key lands where anyone can replace it.
import { promises as fsp } from 'fs';
import { UserError } from './errors';

const FIXES: Readonly<Record<string, string>> = {
  EACCES: 'permission denied: choose a folder you can write, or fix its rights',
  EPERM: 'operation not permitted: choose a folder you can write, or fix its rights',
  ENOTDIR: 'a part of the path is a file, not a folder: choose another --out',
  EEXIST: 'it already exists: choose another place, or overwrite on purpose (CLI: --force)',
  EISDIR: 'a folder has that name: remove or rename it, or choose another --out',
  ENOENT: 'a part of the path does not exist',
  ENOSPC: 'the disk is full',
  EROFS: 'the file system is read-only: choose another --out',
};

/** A UserError for a failed key file operation with a known errno code; anything else is rethrown. */
export function keyFileError(e: unknown, action: string, file: string): never {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code && FIXES[code]) throw new UserError(`Cannot ${action} ${file}: ${FIXES[code]} (${code}).`, `FILE_${code}`);
  throw e;
}

/** True when others may create or replace files in `dir` (mode o+w, without the sticky bit). */
export async function isWorldWritable(dir: string): Promise<boolean> {
  try {
    const mode = (await fsp.stat(dir)).mode;
    return process.platform !== 'win32' && (mode & 0o002) !== 0 && (mode & 0o1000) === 0;
  } catch {
    return false;
  }
}
