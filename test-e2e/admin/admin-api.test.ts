import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, closedPort, cluster, httpBackend } from '../helpers.js';
import { KeepAliveClient, heldBackend, mosnJson, pathRouter, probeHttp, proxyListener, runCli, startMosnProcess, waitUntil, type MosnProcess } from '../reload/support.js';

/*
 * MOSN's admin API on mosn as its own process (logs to stderr at INFO, admin on 127.0.0.1): every endpoint's
 * answer, log levels changed at run time (what is logged changes, in listeners' and the admin's own child loggers),
 * and a busy admin port at start. Endpoints and differences from MOSN: docs/operations.md.
 */

const cleanups = cleanupAfterEach();

interface Fixture {
  mosn: MosnProcess;
  port: number;
  config: Record<string, unknown>;
  /** The same config with one more cluster (a change to reload). */
  more: Record<string, unknown>;
}

async function setup(): Promise<Fixture> {
  const backend = await httpBackend((req, res) => req.resume().on('end', () => res.end('A')));
  cleanups.push(backend.close);
  const admin = await closedPort();
  const port = await closedPort();
  const common = { admin, listeners: [proxyListener('l1', port, 'Http1', 'r1')], routers: [pathRouter('r1', 'c1')] };
  const config = mosnJson({ ...common, clusters: [cluster('c1', [backend.address])] });
  const more = mosnJson({ ...common, clusters: [cluster('c1', [backend.address]), cluster('c2', [backend.address])] });
  const mosn = await startMosnProcess(config, cleanups);
  return { mosn, port, config, more };
}

const ERR = (message: string) => `{\n\t"error": "${message}"\n}\n`;

describe('admin API (MOSN`s), mosn as its own process', () => {
  it('config_dump: the running config, and each of MOSN`s query options', async () => {
    const { mosn, config } = await setup();
    const whole = await mosn.admin('GET', '/api/v1/config_dump');
    expect(whole.status).toBe(200);
    expect(whole.body).toEqual(config);
    expect(whole.body).not.toHaveProperty('xds');
    const servers = (config.servers as any[])[0];
    expect(await mosn.admin('GET', '/api/v1/config_dump?allclusters')).toEqual({ status: 200, body: { c1: (config.cluster_manager as any).clusters[0] } });
    expect(await mosn.admin('GET', '/api/v1/config_dump?cluster=c1')).toEqual({ status: 200, body: (config.cluster_manager as any).clusters[0] });
    expect(await mosn.admin('GET', '/api/v1/config_dump?allrouters')).toEqual({ status: 200, body: { r1: servers.routers[0] } });
    expect(await mosn.admin('GET', '/api/v1/config_dump?router=r1')).toEqual({ status: 200, body: servers.routers[0] });
    expect(await mosn.admin('GET', '/api/v1/config_dump?alllisteners')).toEqual({ status: 200, body: { l1: servers.listeners[0] } });
    expect(await mosn.admin('GET', '/api/v1/config_dump?listener=l1')).toEqual({ status: 200, body: servers.listeners[0] });
    expect(await mosn.admin('GET', '/api/v1/config_dump?listener=nope')).toEqual({ status: 200, body: {} });
    const { listeners: _l, routers: _r, ...server } = servers;
    expect(await mosn.admin('GET', '/api/v1/config_dump?mosnconfig')).toEqual({ status: 200, body: { ...config, servers: [server], cluster_manager: {} } });
    expect(await mosn.admin('GET', '/api/v1/config_dump?mosnconfig&router=r1')).toEqual({ status: 400, body: 'only support one parameter' });
    expect(await mosn.admin('GET', '/api/v1/config_dump?invalid')).toEqual({ status: 500, body: { error: 'internal error' } });
    expect(await mosn.admin('POST', '/api/v1/config_dump')).toEqual({ status: 405, body: '' });
  });

  it('stats, stats_glob, states, /ready, version, features, env, plugin and the help page', async () => {
    const { mosn, port } = await setup();
    expect(await probeHttp(port, '/', 2000)).toEqual({ status: 200, body: 'A' });
    const all = await mosn.waitStats((s) => s['listener.l1.downstream_rq_total'] === 1, 5000, 'the request counted');
    expect(all['config.version']).toBe(1);
    const under = (await mosn.admin('GET', '/api/v1/stats?key=listener.l1')).body as Record<string, number>;
    expect(under['listener.l1.downstream_rq_total']).toBe(1);
    expect(Object.keys(under).every((k) => k.startsWith('listener.l1.'))).toBe(true);
    expect(await mosn.admin('GET', '/api/v1/stats?key=listener.nope')).toEqual({ status: 200, body: 'no metrics key: listener.nope' });
    expect(await mosn.admin('GET', '/api/v1/stats?key=a&b=c')).toEqual({ status: 400, body: 'only support one parameter' });
    expect(await mosn.admin('POST', '/api/v1/stats')).toEqual({ status: 405, body: '' });
    const glob = await mosn.admin('GET', '/api/v1/stats_glob');
    expect(glob.status).toBe(200);
    expect(String(glob.body).split('\n')).toContain('downstream_rq_total:1');

    expect(await mosn.admin('GET', '/api/v1/states')).toEqual({ status: 200, body: `pid=${mosn.pid}&state=6&state_name=Running&config_version=1\n` });
    expect(await mosn.admin('GET', '/ready')).toEqual({ status: 200, body: 'LIVE\n' });
    expect(await mosn.admin('GET', '/api/v1/version')).toEqual({ status: 200, body: expect.stringMatching(/^mosn version: \d+\.\d+\.\d+/) });
    expect(await mosn.admin('GET', '/api/v1/features')).toEqual({ status: 200, body: { MultiTenantMode: false, PayLoadLimitEnable: false, XdsMtlsEnable: false, auto_config: false } });
    expect(await mosn.admin('GET', '/api/v1/features?key=auto_config')).toEqual({ status: 200, body: false });
    expect(await mosn.admin('GET', '/api/v1/env?key=PATH&key=MOSN_TS_NOT_SET')).toEqual({ status: 200, body: { env: { PATH: process.env['PATH'] }, not_found: ['MOSN_TS_NOT_SET'] } });
    expect(await mosn.admin('GET', '/api/v1/env')).toEqual({ status: 400, body: { error: 'no env key' } });
    expect(await mosn.admin('GET', '/api/v1/plugin?status=all')).toEqual({ status: 200, body: '\n' });
    expect(await mosn.admin('GET', '/api/v1/plugin?enable=p')).toEqual({ status: 400, body: 'plugin p no register\n' });
    expect((await mosn.admin('GET', '/api/v1/plugin')).status).toBe(400);
    const help = await mosn.admin('GET', '/no/such/path');
    expect(help.status).toBe(200);
    expect(String(help.body).split('\n')).toEqual(expect.arrayContaining(['supported APIs:', '/api/v1/config_dump', '/api/v1/update_loglevel', '/api/v1/env', '/ready']));
  });

  it('update_loglevel changes what is logged: no DEBUG line before, DEBUG lines (the admin`s, the runtime`s) after', async () => {
    const { mosn, more, config } = await setup();
    expect(await mosn.admin('GET', '/api/v1/get_loglevel')).toEqual({ status: 200, body: { stderr: 'INFO' } });

    // at INFO: a read and a reload that changes something log no DEBUG line (the refused update, at INFO, closes the window)
    let mark = mosn.output().length;
    await mosn.admin('GET', '/api/v1/stats');
    mosn.write(more);
    expect((await mosn.admin('POST', '/api/v1/reload')).status).toBe(200);
    expect(await post(mosn, '/api/v1/update_loglevel', '{"log_path": "stderr", "log_level": "debug"}')).toEqual({ status: 400, body: ERR('update logger failed') });
    await mosn.waitLog((l) => l.msg === 'admin request' && l['path'] === '/api/v1/update_loglevel', mark, 5000, 'the refused update logged');
    expect(mosn.logs(mark).filter((l) => l.level === 20)).toEqual([]);

    expect(await post(mosn, '/api/v1/update_loglevel', '{"log_path": "stdout", "log_level": "DEBUG"}')).toEqual({ status: 400, body: ERR('update logger failed') });
    expect(await post(mosn, '/api/v1/update_loglevel', '{"log_path": "stderr", "log_level": "DEBUG"}')).toEqual({ status: 200, body: 'update logger success\n' });
    expect(await mosn.admin('GET', '/api/v1/get_loglevel')).toEqual({ status: 200, body: { stderr: 'DEBUG' } });
    expect(await mosn.admin('GET', '/api/v1/update_loglevel')).toEqual({ status: 405, body: '' });

    // at DEBUG: the admin's read and the runtime's steps of a reload are logged at DEBUG
    mark = mosn.output().length;
    await mosn.admin('GET', '/api/v1/stats');
    await mosn.waitLog((l) => l.level === 20 && l.msg === 'admin request' && l['path'] === '/api/v1/stats', mark, 5000, 'a DEBUG line of the admin API');
    mosn.write(config);
    expect((await mosn.admin('POST', '/api/v1/reload')).status).toBe(200);
    await mosn.waitLog((l) => l.level === 20 && l.msg === 'applied', mark, 5000, 'a DEBUG line of the reload (a child logger made at start)');
  });

  it('disable_log silences the default logger (named by its path), enable_log brings it back at its level', async () => {
    const { mosn, more } = await setup();
    expect(await post(mosn, '/api/v1/disable_log', '/tmp/not-a-mosn-log')).toEqual({ status: 400, body: ERR('disable logger failed') });
    expect(await post(mosn, '/api/v1/disable_log', 'stderr')).toEqual({ status: 200, body: 'disable logger success\n' });
    const mark = mosn.output().length;
    mosn.write(more);
    expect((await mosn.admin('POST', '/api/v1/reload')).status).toBe(200); // logged at INFO when on
    expect(await mosn.admin('GET', '/api/v1/get_loglevel')).toEqual({ status: 200, body: { stderr: 'INFO' } });
    expect(await post(mosn, '/api/v1/enable_log', 'stderr')).toEqual({ status: 200, body: 'enable logger success\n' });
    await mosn.waitLog((l) => l.msg === 'admin request' && l['path'] === '/api/v1/enable_log', mark, 5000, 'the logger on again');
    expect(mosn.logs(mark).map((l) => `${l.msg} ${String(l['path'] ?? '')}`)).toEqual(['admin request /api/v1/enable_log']);
    expect(await mosn.admin('GET', '/api/v1/enable_log')).toEqual({ status: 405, body: '' });
  });

  it('graceful stop: /ready is 503 DRAINING and states says GracefulStopping (8) while a request is in flight', async () => {
    const held = await heldBackend('H');
    cleanups.push(held.close);
    const port = await closedPort();
    const mosn = await startMosnProcess(mosnJson({ admin: await closedPort(), listeners: [proxyListener('l1', port, 'Http1', 'r1')], routers: [pathRouter('r1', 'c1')], clusters: [cluster('c1', [held.address])] }), cleanups);
    const client = new KeepAliveClient(port);
    cleanups.push(() => client.destroy());
    const inFlight = client.get('/hold');
    await waitUntil(() => held.held() === 1, 5000, 'the request held by the backend');
    mosn.child.kill('SIGTERM');
    let last: unknown;
    await waitUntil(
      async () => {
        last = await mosn.admin('GET', '/ready');
        return (last as { status: number }).status === 503;
      },
      5000,
      '/ready says 503 once mosn drains',
      () => JSON.stringify(last),
    );
    expect(last).toEqual({ status: 503, body: 'DRAINING\n' });
    expect((await mosn.admin('GET', '/api/v1/states')).body).toBe(`pid=${mosn.pid}&state=8&state_name=GracefulStopping&config_version=1\n`);
    held.release();
    expect(await inFlight).toBe('H /hold');
    expect(await mosn.exited).toBe(0);
  });

  it('a busy admin port: `mosn start` fails with MOSN_ERR_ADMIN_LISTEN naming the admin API, no stack, exit 1', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => taken.close(r)));
    const admin = (taken.address() as net.AddressInfo).port;
    const dir = mkdtempSync(join(tmpdir(), 'mosn-admin-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'mosn.json');
    const config = mosnJson({ admin, listeners: [proxyListener('l1', await closedPort(), 'Http1', 'r1')], routers: [pathRouter('r1', 'c1')], clusters: [cluster('c1', ['127.0.0.1:1'])] });
    writeFileSync(file, JSON.stringify(config));
    const r = await runCli(['start', '-c', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`mosn: MOSN_ERR_ADMIN_LISTEN: admin API cannot listen on 127.0.0.1:${admin}: EADDRINUSE\n`);
    expect(r.stderr).toContain('"code":"MOSN_ERR_ADMIN_LISTEN"');
    expect(r.stderr).not.toMatch(/\n\s+at |"stack"/);
  });
});

async function post(mosn: MosnProcess, path: string, body: string): Promise<{ status: number; body: unknown }> {
  const r = await fetch(`http://127.0.0.1:${mosn.adminPort}${path}`, { method: 'POST', body });
  return { status: r.status, body: await r.text() };
}
