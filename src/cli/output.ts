// Output to fds 1 and 2 with writeSync: the stream objects could set
// O_NONBLOCK on descriptors the container shares (ARCHITECTURE.md, Node pitfalls).
import { writeSync } from 'node:fs';

function writeAll(fd: number, text: string): void {
  let buf = Buffer.from(text);
  while (buf.length > 0) {
    try {
      const n = writeSync(fd, buf);
      buf = buf.subarray(n);
    } catch (err) {
      // A caller may hand us a non-blocking pipe; wait and retry rather than lose output.
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

export const writeOut = (text: string): void => writeAll(1, text);
export const writeErr = (text: string): void => writeAll(2, text);
