// Standard input for `-` values: read to its end, but never more than a limit, so an
// endless stream (`yes | iot-authz sign --token -`) fails with one line instead of
// exhausting memory.
import type { Readable } from 'stream';
import { UserError } from '../core/errors';

export function readBoundedStream(stream: Readable, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer | string) => {
      const chunk = typeof c === 'string' ? Buffer.from(c) : c;
      size += chunk.length;
      if (size > maxBytes) {
        stream.off('data', onData);
        stream.pause();
        stream.destroy();
        reject(new UserError(`Standard input is larger than ${maxBytes} bytes; a token is far shorter. Pass a file or a shorter input.`, 'STDIN_TOO_LARGE'));
        return;
      }
      chunks.push(chunk);
    };
    stream.on('data', onData);
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}
