import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AccessLogWriter } from './writer.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'mosn-access-log-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('AccessLogWriter', () => {
  it('returns at once and writes the lines of one event loop turn together, in order', async () => {
    const path = join(tmp(), 'access.log');
    const w = new AccessLogWriter(path);
    for (let i = 0; i < 1000; i++) w.write(`line ${i}\n`);
    expect(w.written).toBe(0); // nothing is written on the caller's turn
    await w.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(1000);
    expect(lines[999]).toBe('line 999');
    expect(w.written).toBe(1000);
    expect(w.dropped).toBe(0);
  });

  it('drops (and counts) lines past its buffer while a slow pipe holds a write, and goes on once it drains', async () => {
    const fifo = join(tmp(), 'fifo');
    execFileSync('mkfifo', [fifo]);
    // a reader that reads nothing for now (opened first, so that the writer's open does not wait)
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    let dropped = 0;
    const w = new AccessLogWriter(fifo, { maxBufferedBytes: 16 * 1024, onDrop: (n) => (dropped += n) });
    const line = 'x'.repeat(99) + '\n';
    const total = 5000; // 500 KB: far more than the pipe (64 KiB) and the buffer hold
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      w.write(line);
      if (i % 100 === 99) await new Promise((r) => setImmediate(r));
    }
    // the event loop went on all along: 50 turns, none of them waiting for the pipe
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(dropped).toBeGreaterThan(0);
    expect(w.dropped).toBe(dropped);
    // now read everything: the write held in the thread pool completes, and what was kept follows
    let read = 0;
    const buf = Buffer.alloc(65536);
    const drain = () => {
      for (;;) {
        try {
          const n = readSync(reader, buf);
          if (n <= 0) return;
          read += n;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return;
          throw e;
        }
      }
    };
    await until(() => {
      drain();
      return read === (total - dropped) * line.length;
    });
    await w.close();
    closeSync(reader);
    expect(w.written + w.dropped).toBe(total);
  });

  it('reopens its path: after a rename, new lines go to a new file and the moved one keeps the old ones', async () => {
    const dir = tmp();
    const path = join(dir, 'access.log');
    const w = new AccessLogWriter(path);
    w.write('before\n');
    await until(() => w.written === 1);
    renameSync(path, join(dir, 'access.log.1'));
    w.write('still the old file\n'); // the open file, until reopen
    await until(() => w.written === 2);
    w.reopen();
    w.write('after\n');
    await w.close();
    expect(readFileSync(join(dir, 'access.log.1'), 'utf8')).toBe('before\nstill the old file\n');
    expect(readFileSync(path, 'utf8')).toBe('after\n');
  });

  it('counts the lines of a path it cannot open as dropped', async () => {
    const w = new AccessLogWriter(join(tmp(), 'no', 'such', 'dir', 'a.log'));
    w.write('a\n');
    w.write('b\n');
    await w.close();
    expect(w.dropped).toBe(2);
  });
});
