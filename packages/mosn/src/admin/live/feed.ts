import type http from 'node:http';
import type { Logger } from '@mosn/proxy';
import type { AdminSource } from '../types.js';
import { LiveFrames } from './frame.js';

/** The live feed's path on the admin API: Server-Sent Events, one frame (JSON) a second. */
export const LIVE_PATH = '/api/v1/live';

export interface LiveFeedOptions {
  /** The most pages (event streams) open at once; one more is answered 503. Default 8. */
  readonly maxClients?: number;
  /** Time between frames, in ms. Default 1000. */
  readonly intervalMs?: number;
  /** A reader that has not taken a frame for this many frames in a row is disconnected. Default 30. */
  readonly maxSkippedFrames?: number;
}

const DEFAULTS = { maxClients: 8, intervalMs: 1000, maxSkippedFrames: 30 } as const;

/** One open event stream. */
class LiveClient {
  readonly res: http.ServerResponse;
  /** Its socket's buffer is full: frames are skipped until it drains. */
  blocked = false;
  /** Frames skipped in a row while blocked. */
  skipped = 0;
  constructor(res: http.ServerResponse) {
    this.res = res;
  }
}

/**
 * `GET /api/v1/live`: the running mosn as Server-Sent Events (`data: <LiveFrame JSON>`), one frame a second, for the
 * admin page. Costs nothing while no page is open: the timer and the frame state exist only while a stream does.
 * Bounded: at most `maxClients` streams (one more is answered 503), and each frame is written once to every stream
 * whose socket takes it; a slow reader (its socket buffer full) gets no frame until it drains, so its memory is one
 * frame at most, and one that stays stuck `maxSkippedFrames` frames is disconnected. Each frame is whole (the state
 * now, not a change), so a skipped frame loses nothing.
 */
export class LiveFeed {
  readonly #source: AdminSource;
  readonly #log: Logger;
  readonly #options: Required<LiveFeedOptions>;
  readonly #clients = new Set<LiveClient>();
  #timer: NodeJS.Timeout | undefined;
  #frames: LiveFrames | undefined;
  /** A refresh of the source is under way (workers). */
  #refreshing = false;
  /** The last frame sent, for a stream that opens between two frames. */
  #last: string | undefined;

  constructor(source: AdminSource, logger: Logger, options: LiveFeedOptions = {}) {
    this.#source = source;
    this.#log = logger;
    this.#options = { ...DEFAULTS, ...options };
  }

  /** Event streams open now. */
  get clients(): number {
    return this.#clients.size;
  }

  /** Whether frames are being taken (a stream is open). */
  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** Serve one request of LIVE_PATH: open an event stream, or refuse it (405 for a method other than GET, 503 when full). */
  attach(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method !== 'GET') {
      res.writeHead(405, { 'content-length': 0 }).end();
      return;
    }
    const max = this.#options.maxClients;
    if (this.#clients.size >= max) {
      this.#log.warn({ max }, 'live feed: too many pages open; one more refused');
      const body = `too many live pages open (at most ${max}): close one\n`;
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), 'retry-after': '5' }).end(body);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    res.socket?.setNoDelay(true);
    // EventSource reconnects after this long when the stream breaks (mosn restarted, say)
    res.write('retry: 2000\n\n');
    const client = new LiveClient(res);
    this.#clients.add(client);
    res.on('close', () => this.#detach(client));
    this.#log.debug({ clients: this.#clients.size }, 'live feed: page opened');
    if (this.#timer === undefined) this.#start();
    else if (this.#last !== undefined) this.#send(client, this.#last);
  }

  /** End every stream and stop. */
  close(): void {
    for (const c of this.#clients) c.res.destroy();
    this.#clients.clear();
    this.#stop();
  }

  #start(): void {
    this.#frames = new LiveFrames(this.#source);
    this.#timer = setInterval(() => this.#tick(), this.#options.intervalMs);
    this.#timer.unref();
    this.#tick();
  }

  #stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#frames = undefined;
    this.#last = undefined;
  }

  #detach(client: LiveClient): void {
    if (!this.#clients.delete(client)) return;
    this.#log.debug({ clients: this.#clients.size }, 'live feed: page closed');
    if (this.#clients.size === 0) this.#stop();
  }

  #tick(): void {
    // the primary of workers gathers its workers' figures first; a tick while that is under way is skipped
    const refresh = this.#source.refresh;
    if (!refresh) return this.#frame();
    if (this.#refreshing) return;
    this.#refreshing = true;
    refresh().then(
      () => {
        this.#refreshing = false;
        if (this.#frames) this.#frame();
      },
      (e: unknown) => {
        this.#refreshing = false;
        this.#log.error({ err: e }, 'live feed: could not gather the figures');
      },
    );
  }

  #frame(): void {
    let chunk: string;
    try {
      chunk = `data: ${JSON.stringify(this.#frames!.next())}\n\n`;
    } catch (e) {
      this.#log.error({ err: e }, 'live feed: could not take a frame');
      return;
    }
    this.#last = chunk;
    for (const c of this.#clients) this.#send(c, chunk);
  }

  #send(client: LiveClient, chunk: string): void {
    if (client.blocked) {
      if (++client.skipped >= this.#options.maxSkippedFrames) {
        this.#log.warn({ skipped: client.skipped }, 'live feed: a page reads no frame: disconnected');
        client.res.destroy();
      }
      return;
    }
    if (client.res.write(chunk)) return;
    client.blocked = true;
    client.res.once('drain', () => {
      client.blocked = false;
      client.skipped = 0;
    });
  }
}
