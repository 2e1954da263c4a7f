import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import puppeteer, { type Page } from 'puppeteer-core';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, cleanupAfterEach, closedPort, cluster, installTool, waitUntil } from '../helpers.js';
import { mosnJson, pathRouter, proxyListener, startMosnProcess } from '../reload/support.js';

/*
 * The live admin page (/admin, fed by /api/v1/live) in a real headless Chromium (Debian's package, installed here when
 * missing; driven by puppeteer-core): mosn as its own process, one HTTP listener, a cluster of two backends (each its
 * own process) under an active HTTP health check. The page lists the listener and both hosts healthy, shows the request
 * rate rise under a little load, and shows a killed backend unhealthy within the health check's bounds. The screenshot
 * goes to ADMIN_PAGE_SCREENSHOT when set (docs/images/admin-page.png was made so), else to the temp folder.
 */

const cleanups = cleanupAfterEach();

const chromium = await installTool('chromium', ['chromium', 'fonts-liberation']);
if ('missing' in chromium) console.warn(`admin page test skipped: Chromium cannot be had here: ${chromium.missing}`);

/** The active health check: a backend is unhealthy after 2 failed checks, each at most 500 ms, 500 ms apart. */
const CHECK = { interval: 500, timeout: 500, unhealthyThreshold: 2 };
/** How long a dead backend may take to show as unhealthy: its failing checks, the next frame (1 s), and slack for a busy machine. */
const UNHEALTHY_WITHIN_MS = CHECK.unhealthyThreshold * (CHECK.interval + CHECK.timeout) + 1000 + 3000;

/** An HTTP backend as its own process, answering `name` on every path; resolves with its address once it listens. */
async function backend(name: string): Promise<{ address: string; child: ChildProcess }> {
  const code = `const s = require('node:http').createServer((q, r) => r.end(process.argv[1])); s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;
  const child = spawn(process.execPath, ['-e', code, name], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const port = await new Promise<string>((res, rej) => {
    child.stdout!.once('data', (d: Buffer) => res(d.toString().trim()));
    child.once('exit', (c) => rej(new Error(`backend ${name} exited with ${c}`)));
  });
  return { address: `127.0.0.1:${port}`, child };
}

/**
 * A little load: requests on `lanes` keep-alive connections, each lane pausing `pauseMs` between them, until stopped;
 * any answer counts (a killed backend may fail a few).
 */
function load(port: number, lanes: number, pauseMs: number): { stop: () => Promise<number> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: lanes });
  let running = true;
  let answered = 0;
  const one = () =>
    new Promise<void>((done) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => res.resume().on('end', done).on('error', () => done()));
      req.on('error', () => done());
    });
  const lane = async () => {
    while (running) {
      await one();
      answered++;
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  };
  const all = Promise.all(Array.from({ length: lanes }, lane));
  return {
    stop: async () => {
      running = false;
      await all;
      agent.destroy();
      return answered;
    },
  };
}

/** A number the page shows (`[data-field=…]` under `scope`); NaN while it shows none (`–`). */
const shown = (page: Page, scope: string, field: string) => page.$eval(`${scope} [data-field="${field}"]`, (e) => Number.parseFloat(e.textContent ?? ''));

describe.skipIf('missing' in chromium)('the live admin page in headless Chromium', () => {
  it('lists the listener and both hosts healthy, shows the request rate rise under load and a killed backend unhealthy', async () => {
    const executablePath = (chromium as { path: string }).path;
    const a = await backend('a');
    const b = await backend('b');
    const admin = await closedPort();
    const port = await closedPort();
    const healthCheck = {
      protocol: 'Http1',
      interval: `${CHECK.interval}ms`,
      timeout: `${CHECK.timeout}ms`,
      interval_jitter: '0s',
      initial_delay_seconds: '0s',
      unhealthy_threshold: CHECK.unhealthyThreshold,
      healthy_threshold: 1,
      check_config: { http_check_config: { path: '/health', codes: [{ start: 200, end: 299 }] } },
    };
    const config = mosnJson({
      admin,
      listeners: [proxyListener('egress', port, 'Http1', 'r1')],
      routers: [pathRouter('r1', 'backends')],
      clusters: [cluster('backends', [a.address, b.address], { health_check: healthCheck })],
    });
    await startMosnProcess(config, cleanups);

    const browser = await puppeteer.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
    cleanups.push(() => browser.close());
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    // a CSP refusal (a blocked inline block, say) is reported on the console
    page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
    await page.setViewport({ width: 1100, height: 560 });
    await page.goto(`http://127.0.0.1:${admin}/admin`);

    // the first frames: the listener, the cluster, both hosts healthy, the config version
    const host = (address: string, state: string) => `[data-cluster="backends"] tr[data-host="${address}"][data-state="${state}"]`;
    await page.waitForSelector(host(a.address, 'healthy'), { timeout: 10_000 });
    await page.waitForSelector(host(b.address, 'healthy'), { timeout: 10_000 });
    const listener = await page.$eval('tr[data-listener="egress"]', (tr) => [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent));
    expect(listener).toEqual(['egress', `127.0.0.1:${port}`, 'Http1']);
    expect(await page.$eval('#version', (e) => e.textContent)).toBe('1');
    expect(await page.$eval('#status', (e) => e.textContent)).toBe('live');
    expect(await shown(page, '[data-cluster="backends"] .cluster-head', 'healthy')).toBe(2);

    // a frame with rates (the second one on) shows none while idle; then a little load
    const rate = () => shown(page, 'tr[data-listener="egress"]', 'requests');
    await waitUntil(async () => !Number.isNaN(await rate()), 5000, 'a frame with rates');
    const idle = await rate();
    const traffic = load(port, 2, 10);
    let stopped = false;
    cleanups.push(() => (stopped ? undefined : traffic.stop()));
    await waitUntil(async () => (await rate()) >= 5, 10_000, 'the request rate shown under load');
    const busy = await rate();
    expect(idle).toBe(0);
    expect(busy).toBeGreaterThanOrEqual(5);
    expect(await shown(page, '[data-cluster="backends"] .cluster-head', 'requests')).toBeGreaterThan(0);
    // round robin: both hosts take tries
    await waitUntil(async () => (await shown(page, host(b.address, 'healthy'), 'requests')) > 0, 5000, 'host b`s request rate');
    expect(await shown(page, host(a.address, 'healthy'), 'requests')).toBeGreaterThan(0);

    // backend b dies: the page shows it unhealthy within the checks' bounds; a stays healthy
    b.child.kill('SIGKILL');
    await page.waitForSelector(host(b.address, 'unhealthy'), { timeout: UNHEALTHY_WITHIN_MS });
    expect(await page.$(host(a.address, 'healthy'))).not.toBeNull();
    expect(await shown(page, '[data-cluster="backends"] .cluster-head', 'healthy')).toBe(1);
    // two more frames under load
    const frames = () => page.$eval('body', (e) => Number(e.getAttribute('data-frames')));
    const seen = await frames();
    await waitUntil(async () => (await frames()) >= seen + 2, 5000, 'two more frames');
    // a frame whose whole second came after b was marked unhealthy: no try went to b, all went to a
    expect(await shown(page, host(b.address, 'unhealthy'), 'requests')).toBe(0);
    expect(await shown(page, host(a.address, 'healthy'), 'requests')).toBeGreaterThan(0);
    const answered = await traffic.stop();
    stopped = true;
    expect(answered).toBeGreaterThan(0);

    const wanted = process.env['ADMIN_PAGE_SCREENSHOT'];
    const file = wanted ? resolve(REPO_ROOT, wanted) : join(tmpdir(), `mosn-admin-page-${process.pid}.png`);
    if (!wanted) cleanups.push(() => rmSync(file, { force: true }));
    mkdirSync(dirname(file), { recursive: true });
    await page.screenshot({ path: file as `${string}.png` });
    const png = readFileSync(file);
    // the PNG signature, and the viewport's size in its IHDR chunk
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1100, 560]);
    expect(pageErrors).toEqual([]);
  });
});
