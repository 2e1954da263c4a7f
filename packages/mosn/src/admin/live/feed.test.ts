import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Stats, silentLogger } from '@mosn/proxy';
import type { AdminSource } from '../types.js';
import { LIVE_PATH, LiveFeed, type LiveFeedOptions } from './feed.js';
import type { LiveFrame, ListenerSummary } from './types.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A source with one listener named `name`; `reads` counts the frames taken (each reads the listeners once). */
function source(name = 'l1') {
  const stats = new Stats();
  const counted = { reads: 0 };
  const listener: ListenerSummary = { name, address: '127.0.0.1:1', protocol: 'Http1', connections: 0 };
  const s: AdminSource = {
    config: () => ({}),
    statuses: () => ({}),
    stats: () => ({}),
    stage: () => 'running',
    version: () => 1,
    live: {
      listeners: () => (counted.reads++, [listener]),
      clusters: () => [],
      stat: (n) => stats.get(n),
    },
  };
  return { source: s, stats, counted };
}

/** A node:http server serving only the feed, on 127.0.0.1:0; `responses` are the server's side of each stream. */
async function serve(feed: LiveFeed): Promise<{ port: number; responses: http.ServerResponse[] }> {
  const responses: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    responses.push(res);
    feed.attach(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    feed.close();
    server.closeAllConnections();
    return new Promise((r) => server.close(r));
  });
  return { port: (server.address() as net.AddressInfo).port, responses };
}

/** An event stream read with node:http: its status, the frames so far, and a way to stop reading or close it. */
async function openStream(port: number, method = 'GET') {
  const frames: LiveFrame[] = [];
  const req = http.request({ host: '127.0.0.1', port, path: LIVE_PATH, method });
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => req.on('response', resolve).on('error', reject).end());
  let text = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    text += chunk;
    let end: number;
    while ((end = text.indexOf('\n\n')) >= 0) {
      const event = text.slice(0, end);
      text = text.slice(end + 2);
      if (event.startsWith('data: ')) frames.push(JSON.parse(event.slice(6)) as LiveFrame);
    }
  });
  const closed = new Promise<void>((r) => res.on('close', () => r()));
  return { status: res.statusCode, headers: res.headers, frames, closed, close: () => req.destroy() };
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function feedOf(s: AdminSource, options: LiveFeedOptions = {}): LiveFeed {
  return new LiveFeed(s, silentLogger, { intervalMs: 20, ...options });
}

describe('LiveFeed', () => {
  it('takes no frame while no page is open; frames flow while one is; it stops when the last one closes', async () => {
    const { source: s, stats, counted } = source();
    const feed = feedOf(s);
    const { port } = await serve(feed);
    await new Promise((r) => setTimeout(r, 100));
    expect([feed.running, counted.reads]).toEqual([false, 0]);

    const stream = await openStream(port);
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream');
    await until(() => stream.frames.length >= 1, 'the first frame');
    expect(stream.frames[0]!.listeners[0]!.rates).toEqual({ requests: null, errors: null });
    stats.inc('listener.l1.downstream_rq_total', 1000);
    await until(() => stream.frames.some((f) => (f.listeners[0]!.rates.requests ?? 0) > 0), 'a frame with a request rate');
    expect(feed.running).toBe(true);

    stream.close();
    await until(() => !feed.running, 'the feed stopped');
    const reads = counted.reads;
    await new Promise((r) => setTimeout(r, 100));
    expect([feed.clients, counted.reads]).toEqual([0, reads]);
  });

  it('at most maxClients streams: one more is answered 503 (and served again once one closed); other methods 405', async () => {
    const feed = feedOf(source().source, { maxClients: 2 });
    const { port } = await serve(feed);
    const a = await openStream(port);
    const b = await openStream(port);
    const c = await openStream(port);
    expect([a.status, b.status, c.status]).toEqual([200, 200, 503]);
    await c.closed;
    a.close();
    await until(() => feed.clients === 1, 'one stream closed');
    const d = await openStream(port);
    expect(d.status).toBe(200);
    await until(() => d.frames.length >= 1, 'a frame on the new stream');
    expect((await openStream(port, 'POST')).status).toBe(405);
  });

  it('a reader that does not read holds at most one frame in mosn, the others go on, and it is disconnected after maxSkippedFrames', async () => {
    // frames of ~256 KiB: 40 of them (10 MiB) would be far more than the kernel's socket buffers on loopback
    const { source: s } = source('x'.repeat(256 * 1024));
    const feed = feedOf(s, { intervalMs: 10, maxSkippedFrames: 40 });
    const { port, responses } = await serve(feed);
    const fast = await openStream(port);
    // the slow reader: a raw socket that sends its request and never reads
    const slow = net.connect(port, '127.0.0.1');
    slow.pause();
    slow.write(`GET ${LIVE_PATH} HTTP/1.1\r\nHost: x\r\n\r\n`);
    cleanups.push(() => slow.destroy());
    await until(() => responses.length === 2, 'the slow stream opened');
    const slowRes = responses[1]!;
    let most = 0;
    const frameSize = 256 * 1024 + 1024;
    // until it is disconnected (or it holds frames piled up: the failure this test is about)
    while (!slowRes.destroyed && most <= 4 * frameSize) {
      most = Math.max(most, slowRes.writableLength);
      await new Promise((r) => setTimeout(r, 5));
    }
    // what mosn kept for it: never more than the frame it was writing when the socket filled
    expect(most).toBeLessThanOrEqual(frameSize);
    // its stream is destroyed; the feed lets go of it when the stream's close comes
    await until(() => feed.clients === 1, 'the slow reader dropped');
    const before = fast.frames.length;
    await until(() => fast.frames.length > before + 2, 'frames still reach the reader that reads');
    fast.close();
  });
});
