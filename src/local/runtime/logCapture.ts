// Collects a worker's stdout/stderr into per-invocation logs. Each stream carries the
// invocation's end marker (written by the worker after the handler's output), so output
// that arrives on a pipe after the result message still lands in the right invocation.

/** A run's captured output, capped so a handler printing in a loop cannot exhaust memory. */
export interface CapturedLogs {
  readonly text: string;
  /** True when output beyond the cap was dropped. */
  readonly truncated: boolean;
}

export class CappedText {
  private readonly parts: string[] = [];
  private bytes = 0;
  private dropped = false;

  constructor(private readonly maxBytes: number) {}

  append(text: string): void {
    if (text === '') return;
    const size = Buffer.byteLength(text);
    if (this.bytes + size <= this.maxBytes) {
      this.parts.push(text);
      this.bytes += size;
      return;
    }
    const room = this.maxBytes - this.bytes;
    if (room > 0) {
      // Cutting a multi-byte character leaves one replacement character: acceptable at the cap.
      this.parts.push(Buffer.from(text).subarray(0, room).toString('utf8'));
      this.bytes = this.maxBytes;
    }
    this.dropped = true;
  }

  result(): CapturedLogs {
    return { text: this.parts.join(''), truncated: this.dropped };
  }
}

/**
 * Splits one text stream at marker lines `<marker><id>\n`: text before a marker goes to
 * `onText`, the marker's id to `onMarker`. A partial marker at a chunk's end is held back.
 */
export class MarkerSplitter {
  private pending = '';

  constructor(
    private readonly marker: string,
    private readonly onText: (text: string) => void,
    private readonly onMarker: (id: number) => void,
  ) {}

  push(chunk: string): void {
    this.pending += chunk;
    for (;;) {
      const at = this.pending.indexOf(this.marker);
      if (at < 0) break;
      const end = this.pending.indexOf('\n', at);
      if (end < 0) {
        this.onText(this.pending.slice(0, at));
        this.pending = this.pending.slice(at);
        return;
      }
      this.onText(this.pending.slice(0, at));
      this.onMarker(Number(this.pending.slice(at + this.marker.length, end)));
      this.pending = this.pending.slice(end + 1);
    }
    // Keep a tail that could be the start of a marker; pass on the rest now.
    const keep = Math.min(this.pending.length, this.marker.length - 1);
    let cut = this.pending.length - keep;
    while (cut < this.pending.length && !this.marker.startsWith(this.pending.slice(cut))) cut++;
    this.onText(this.pending.slice(0, cut));
    this.pending = this.pending.slice(cut);
  }

  /** The stream ended: whatever is held back is plain text. */
  flush(): void {
    this.onText(this.pending);
    this.pending = '';
  }
}
