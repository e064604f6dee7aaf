// A worker and everything its handler starts live in one process group (POSIX), so a
// timeout, a reload or shutdown can end the whole tree: a handler's background child
// (`os.system("sleep 600 &")`, a forked Node process) dies with its worker instead of
// holding the log pipes open or outliving the run.

/** Spawn option: a new process group led by the worker (its pgid is its pid). */
export function ownProcessGroup(): { detached: boolean } {
  return { detached: process.platform !== 'win32' };
}

/** SIGKILLs the process group led by `pid`, and the process itself; missing processes are fine. */
export function killProcessTree(pid: number | undefined): void {
  if (pid === undefined) return;
  if (process.platform !== 'win32') {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // no such group: already gone
    }
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** True while any process of the group led by `pgid` is alive (POSIX; elsewhere: the leader). */
export function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(process.platform === 'win32' ? pgid : -pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Resolves after `ms`, without keeping the process alive for it. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** setTimeout fires at once for delays past 2^31-1 ms; longer limits are clamped to it. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function timerDelay(ms: number): number {
  return Math.min(Math.max(0, ms), MAX_TIMER_MS);
}
