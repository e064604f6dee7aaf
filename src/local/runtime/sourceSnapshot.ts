// Decides when a warm worker is stale: the size and modification time of every source file
// the handler loaded, checked before each invoke. A few stat calls cost microseconds and,
// unlike file watchers, cannot miss an edit made while nothing was listening.
import * as fs from 'fs';

interface FileStamp {
  readonly mtimeMs: number;
  readonly size: number;
}

function stampOf(file: string): FileStamp | undefined {
  const s = fs.statSync(file, { throwIfNoEntry: false });
  return s ? { mtimeMs: s.mtimeMs, size: s.size } : undefined;
}

export class SourceSnapshot {
  private readonly stamps = new Map<string, FileStamp | undefined>();

  /** Records the files' current state; a file seen before keeps its first stamp. */
  add(files: Iterable<string>): void {
    for (const f of files) if (!this.stamps.has(f)) this.stamps.set(f, stampOf(f));
  }

  /** The first file that changed, appeared or vanished since it was added, if any. */
  changedFile(): string | undefined {
    for (const [file, before] of this.stamps) {
      const now = stampOf(file);
      if (!before || !now) {
        if (before !== now) return file;
        continue;
      }
      if (now.mtimeMs !== before.mtimeMs || now.size !== before.size) return file;
    }
    return undefined;
  }

  get files(): string[] {
    return [...this.stamps.keys()];
  }
}
