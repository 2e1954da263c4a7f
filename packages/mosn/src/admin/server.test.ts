import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MosnError, silentLogger } from '@mosn/proxy';
import { AdminServer } from './server.js';
import type { AdminSource } from './types.js';

const source: AdminSource = { config: () => ({}), statuses: () => ({}), stats: () => ({}), stage: () => 'running', version: () => 1, live: { listeners: () => [], clusters: () => [], stat: () => 0 } };

describe('AdminServer', () => {
  const closers: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) await c();
  });

  async function start(): Promise<number> {
    const admin = new AdminServer(source, silentLogger);
    closers.push(() => admin.close());
    const bound = await admin.start({ host: '127.0.0.1', port: 0 });
    if (!('port' in bound)) throw new Error('expected a TCP address');
    return bound.port;
  }

  it('a port in use: MOSN_ERR_ADMIN_LISTEN, naming the admin API and the address', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => taken.close(r)));
    const port = (taken.address() as net.AddressInfo).port;
    const admin = new AdminServer(source, silentLogger);
    const err = await admin.start({ host: '127.0.0.1', port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MosnError);
    expect(err).toMatchObject({ code: 'MOSN_ERR_ADMIN_LISTEN', message: `admin API cannot listen on 127.0.0.1:${port}: EADDRINUSE` });
  });

  it('any other path: MOSN`s help, every path; a body over 64 KiB: 400', async () => {
    const port = await start();
    for (const path of ['/', '/nope', '/api/v1/stats/']) {
      const r = await fetch(`http://127.0.0.1:${port}${path}`);
      const lines = (await r.text()).trimEnd().split('\n');
      expect(r.status).toBe(200);
      expect(lines[0]).toBe('supported APIs:');
      expect(lines).toContain('/api/v1/update_loglevel');
      expect(lines).toContain('/ready');
    }
    const big = await fetch(`http://127.0.0.1:${port}/api/v1/update_loglevel`, { method: 'POST', body: 'x'.repeat(100_000) });
    expect(big.status).toBe(400);
    expect(await big.text()).toContain('read body error');
    const head = await fetch(`http://127.0.0.1:${port}/ready`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('the live page at /admin (HTML, its CSP) and its feed at /api/v1/live (an event stream), both in the help', async () => {
    const port = await start();
    const help = (await (await fetch(`http://127.0.0.1:${port}/`)).text()).split('\n');
    expect(help).toEqual(expect.arrayContaining(['/admin', '/api/v1/live']));
    const page = await fetch(`http://127.0.0.1:${port}/admin`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'; /);
    expect(await page.text()).toContain('<title>mosn admin</title>');
    const live = new AbortController();
    const feed = await fetch(`http://127.0.0.1:${port}/api/v1/live`, { signal: live.signal });
    expect([feed.status, feed.headers.get('content-type')]).toEqual([200, 'text/event-stream']);
    const reader = feed.body!.getReader();
    let text = '';
    while (!text.includes('data: ')) text += new TextDecoder().decode((await reader.read()).value);
    live.abort();
    expect(text).toMatch(/^retry: 2000\n\n/);
  });
});
