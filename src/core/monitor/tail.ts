/**
 * Follows growing log files like `tail -F`: remembers each file's inode and offset; on each poll
 * reads what was appended; when the path now names another file (logrotate's create/rename) it
 * reads the rest of the old file first, then the new one from its start; a file that shrank
 * (copytruncate) is read again from the start.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

interface Followed {
  path: string;
  handle?: FileHandle;
  ino?: number;
  offset: number;
  rest: string;
  decoder: StringDecoder;
}

export class Tailer {
  private readonly files: Followed[];

  /** `offsets`: where each file's already-read part ends (bytes). */
  constructor(paths: readonly string[], offsets: ReadonlyMap<string, number> = new Map()) {
    this.files = paths.map((path) => ({ path, offset: offsets.get(path) ?? 0, rest: '', decoder: new StringDecoder('utf8') }));
  }

  /** Reads whatever is new; calls onLines per file with complete lines. */
  async poll(onLines: (path: string, lines: string[]) => void): Promise<void> {
    for (const f of this.files) {
      let st;
      try {
        st = await stat(f.path);
      } catch {
        continue; // between rotation's rename and create
      }
      if (f.handle && f.ino !== undefined && st.ino !== f.ino) {
        await this.drain(f, onLines);
        await f.handle.close();
        f.handle = undefined;
        f.offset = 0;
        f.rest = '';
      }
      if (!f.handle) {
        try {
          f.handle = await open(f.path, 'r');
        } catch {
          continue;
        }
        f.ino = st.ino;
      }
      if (st.size < f.offset) {
        f.offset = 0; // truncated in place
        f.rest = '';
      }
      await this.drain(f, onLines);
    }
  }

  private async drain(f: Followed, onLines: (path: string, lines: string[]) => void): Promise<void> {
    if (!f.handle) return;
    const buf = Buffer.alloc(256 * 1024);
    for (;;) {
      const { bytesRead } = await f.handle.read(buf, 0, buf.length, f.offset);
      if (bytesRead === 0) return;
      f.offset += bytesRead;
      const text = f.rest + f.decoder.write(buf.subarray(0, bytesRead));
      const lines = text.split('\n');
      f.rest = lines.pop()!;
      if (lines.length) onLines(f.path, lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)));
    }
  }

  async close(): Promise<void> {
    for (const f of this.files) await f.handle?.close();
  }
}
