import { close, open, write } from 'node:fs';
import type { AccessLogSink, Logger } from '@mosn/proxy';

/** Lines held in memory while the file is slow, before new lines are dropped (and counted). */
export const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** How long a line may wait for others to share its write. */
export const DEFAULT_FLUSH_INTERVAL_MS = 50;
/** Held bytes that make a write start without waiting for the interval. */
const FLUSH_BYTES = 64 * 1024;

export interface AccessLogWriterOptions {
  /** Bytes of lines held while a write is in flight; past it, lines are dropped. */
  readonly maxBufferedBytes?: number;
  /** Lines that were dropped (the file too slow, or a write that failed). */
  readonly onDrop?: (lines: number) => void;
  /** How long a line may wait for others to share its write (default 50 ms; 64 KiB of lines start one at once). */
  readonly flushIntervalMs?: number;
  readonly logger?: Logger;
}

/** MOSN's special paths: the process's own output. */
const STD_FDS: Record<string, number> = { stdout: 1, stderr: 2 };

/**
 * An access log file (or stdout/stderr): `write` only appends the line to memory and returns; the lines of up to
 * 50 ms (or 64 KiB) go out together as one `fs.write` on libuv's thread pool, one write in flight at a time. A file
 * slower than the traffic (a full disk, a stalled NFS mount, a pipe nobody reads) never blocks the event loop: the
 * lines wait in memory up to `maxBufferedBytes`, and then new lines are dropped and counted (`onDrop`).
 * `reopen()` (SIGUSR1, after the file was moved away) opens the path again once the write in flight is done.
 */
export class AccessLogWriter implements AccessLogSink {
  readonly path: string;
  #max: number;
  #intervalMs: number;
  #flushBytes: number;
  #timer: NodeJS.Timeout | undefined;
  #onDrop: ((lines: number) => void) | undefined;
  #log: Logger | undefined;
  #pending: string[] = [];
  #pendingBytes = 0;
  #fd: number | undefined;
  #std: boolean;
  #busy = false;
  #scheduled = false;
  #reopen = false;
  #closed = false;
  #dropped = 0;
  #written = 0;
  /** Whether lines are being dropped now (one warn line per burst of drops). */
  #dropping = false;
  #idle: Array<() => void> = [];
  readonly #flush = () => {
    this.#scheduled = false;
    this.#timer = undefined;
    this.#next();
  };

  constructor(path: string, options: AccessLogWriterOptions = {}) {
    this.path = path;
    this.#max = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.#intervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    this.#flushBytes = Math.min(FLUSH_BYTES, this.#max / 4);
    this.#onDrop = options.onDrop;
    this.#log = options.logger;
    const std = STD_FDS[path];
    this.#std = std !== undefined;
    this.#fd = std;
  }

  /** Lines dropped so far. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Lines written so far. */
  get written(): number {
    return this.#written;
  }

  write(line: string): void {
    if (this.#closed) return;
    if (this.#pendingBytes + line.length > this.#max) return this.#drop(1);
    this.#dropping = false;
    this.#pending.push(line);
    this.#pendingBytes += line.length;
    if (this.#busy) return; // the write in flight takes what is held when it is done
    if (this.#pendingBytes >= this.#flushBytes) {
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#flush();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      this.#timer = setTimeout(this.#flush, this.#intervalMs);
    }
  }

  /** Open the path again for the next lines (after a rotation moved the file away); stdout and stderr stay. */
  reopen(): void {
    if (this.#std || this.#closed) return;
    this.#reopen = true;
    if (!this.#busy) this.#next();
  }

  /** Write what is held, then close the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#scheduled = false;
    if (this.#pending.length > 0 && !this.#busy) this.#next();
    await this.#whenIdle();
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined && !this.#std) await new Promise<void>((resolve) => close(fd, () => resolve()));
  }

  /** Resolves when nothing is held and no write is in flight. */
  #whenIdle(): Promise<void> {
    if (!this.#busy && this.#pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #drop(lines: number): void {
    this.#dropped += lines;
    this.#onDrop?.(lines);
    if (!this.#dropping) {
      this.#dropping = true;
      this.#log?.warn({ path: this.path, maxBufferedBytes: this.#max }, 'access log: the file takes lines slower than they come; dropping lines (counted in access_log.dropped_lines)');
    }
  }

  /** The next step: reopen if asked, open if needed, else write what is held. */
  #next(): void {
    if (this.#busy) return;
    if (this.#reopen) {
      this.#reopen = false;
      const fd = this.#fd;
      this.#fd = undefined;
      if (fd !== undefined) {
        this.#busy = true;
        close(fd, () => {
          this.#busy = false;
          this.#next();
        });
        return;
      }
    }
    if (this.#pending.length === 0) return this.#settle();
    if (this.#fd === undefined) return this.#open();
    const lines = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#busy = true;
    this.#writeAll(this.#fd, Buffer.from(lines.join('')), lines.length);
  }

  #open(): void {
    this.#busy = true;
    open(this.path, 'a', 0o644, (err, fd) => {
      this.#busy = false;
      if (err) {
        this.#log?.error({ err, path: this.path }, 'access log: cannot open the file; its lines are dropped');
        const lines = this.#pending.length;
        this.#pending = [];
        this.#pendingBytes = 0;
        this.#drop(lines);
        return this.#settle();
      }
      this.#fd = fd;
      this.#next();
    });
  }

  #writeAll(fd: number, buf: Buffer, lines: number): void {
    write(fd, buf, 0, buf.length, null, (err, n) => {
      if (err) {
        // a pipe in non-blocking mode that is full: try again shortly
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
          setTimeout(() => this.#writeAll(fd, buf, lines), 10).unref();
          return;
        }
        this.#busy = false;
        this.#log?.error({ err, path: this.path }, 'access log: write failed; the lines are dropped and the file reopened');
        this.#drop(lines);
        if (!this.#std) this.#reopen = true;
        return this.#next();
      }
      if (n < buf.length) return this.#writeAll(fd, buf.subarray(n), lines);
      this.#written += lines;
      this.#busy = false;
      // what came meanwhile waits for more lines (or the interval), unless it is already a write's worth
      if (this.#pendingBytes >= this.#flushBytes || this.#closed || this.#reopen) return this.#next();
      if (this.#pending.length === 0) return this.#settle();
      if (!this.#scheduled) {
        this.#scheduled = true;
        this.#timer = setTimeout(this.#flush, this.#intervalMs);
      }
    });
  }

  #settle(): void {
    if (this.#busy || this.#pending.length > 0) return;
    const idle = this.#idle;
    this.#idle = [];
    for (const resolve of idle) resolve();
  }
}

/**
 * The access log writers of one runtime, one per path (listeners naming the same path share it, as MOSN's loggers):
 * reopened together on SIGUSR1, flushed and closed when mosn stops.
 */
export class AccessLogFiles {
  #writers = new Map<string, AccessLogWriter>();
  #options: AccessLogWriterOptions;

  constructor(options: AccessLogWriterOptions = {}) {
    this.#options = options;
  }

  get(path: string): AccessLogWriter {
    let w = this.#writers.get(path);
    if (!w) this.#writers.set(path, (w = new AccessLogWriter(path, this.#options)));
    return w;
  }

  reopen(): void {
    for (const w of this.#writers.values()) w.reopen();
  }

  async close(): Promise<void> {
    const writers = [...this.#writers.values()];
    this.#writers.clear();
    await Promise.all(writers.map((w) => w.close()));
  }
}
