import http from 'node:http';
import http2 from 'node:http2';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alive, cleanupAfterEach, closedPort, cluster, httpBackend, pidIn, stopPidFileAtCleanup, waitUntil } from './helpers.js';
import { mosnJson, proxyListener, router, runCli, serviceRouter, startMosnProcess } from './reload/support.js';
import { rpcClient, startRpcServer } from './bolt/peers.js';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

// Hot upgrade with mosn as its own process (the built CLI): SIGUSR2 (or `mosn upgrade -c`) starts a new process
// that takes the listening sockets over; the old one drains and exits 0. Under steady HTTP/1, HTTP/2 and Bolt load
// every request is answered by one of the two.

const cleanups = cleanupAfterEach();


/** mosn on three fixed ports (HTTP/1, h2c, Bolt) with a pid file; the new process of an upgrade is stopped at cleanup. */
async function upgradableMosn(httpBackendAddress: string, boltAddress: string) {
  const [h1, h2, bolt, admin] = [await closedPort(), await closedPort(), await closedPort(), await closedPort()];
  const dir = mkdtempSync(join(tmpdir(), 'mosn-upgrade-'));
  const pidFile = join(dir, 'mosn.pid');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const config = (routeHeader: string) => ({
    ...mosnJson({
      admin,
      gracefulTimeout: '5s',
      listeners: [
        proxyListener('h1', h1, 'Http1', 'r'),
        proxyListener('h2', h2, 'Http2', 'r', { upstream: 'Http1' }),
        proxyListener('bolt', bolt, 'bolt', 'rpc', { upstream: 'bolt' }),
      ],
      routers: [
        router('r', [{ match: { prefix: '/' }, route: { cluster_name: 'web', response_headers_to_add: [{ header: { key: 'x-config', value: routeHeader } }] } }]),
        serviceRouter('rpc', 'svc'),
      ],
      clusters: [cluster('web', [httpBackendAddress]), cluster('svc', [boltAddress])],
    }),
    pid: pidFile,
  });
  // registered before the process starts: cleanups run last first, so the new process stops after the old one
  stopPidFileAtCleanup(pidFile, cleanups);
  const mosn = await startMosnProcess(config('v1'), cleanups);
  // the pid file is written just after the start line
  await waitUntil(() => existsSync(pidFile) && pidIn(pidFile) === mosn.pid, 5000, 'the pid file');
  return { mosn, pidFile, ports: { h1, h2, bolt, admin }, config };
}

/** An HTTP backend and a SOFARPC server, and mosn in front of them (see `upgradableMosn`). */
async function upgradableMosnWithBackends() {
  const web = await httpBackend((req, res) => req.resume().on('end', () => res.end('ok')));
  cleanups.push(web.close);
  const rpc = await startRpcServer('A');
  cleanups.push(() => rpc.close());
  return upgradableMosn(web.address, rpc.address);
}

/** Steady load until `stop()`: sequential requests per lane; answers and errors counted per protocol. */
function steadyLoad(ports: { h1: number; h2: number; bolt: number }) {
  let running = true;
  const counts = { h1: 0, h2: 0, bolt: 0 };
  const errors: string[] = [];
  const configs = new Set<string>();
  let refused = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const h1Lane = async () => {
    while (running) {
      try {
        const r = await new Promise<{ status: number; config: string }>((resolve, reject) => {
          const req = http.get({ host: '127.0.0.1', port: ports.h1, path: '/', agent }, (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode!, config: String(res.headers['x-config']) }));
          });
          req.on('error', reject);
        });
        if (r.status !== 200) errors.push(`h1 status ${r.status}`);
        configs.add(r.config);
        counts.h1++;
      } catch (e) {
        errors.push(`h1 ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
  };
  const h2Lane = async () => {
    let session: http2.ClientHttp2Session | undefined;
    while (running) {
      // a session told GOAWAY (or closed) is replaced, as an HTTP/2 client does
      if (!session || session.closed || session.destroyed || (session as unknown as { goawayReceived?: boolean }).goawayReceived) {
        session?.close();
        const s = http2.connect(`http://127.0.0.1:${ports.h2}`);
        s.on('error', () => {});
        s.on('goaway', () => ((s as unknown as { goawayReceived?: boolean }).goawayReceived = true));
        session = s;
      }
      try {
        const status = await new Promise<number>((resolve, reject) => {
          const req = session!.request({ ':path': '/' });
          let st = 0;
          req.on('response', (h) => (st = Number(h[':status'])));
          req.on('error', reject);
          req.resume();
          req.on('end', () => resolve(st));
        });
        if (status !== 200) errors.push(`h2 status ${status}`);
        counts.h2++;
      } catch (e) {
        // a stream the server refused after its GOAWAY was not processed: an HTTP/2 client sends it again
        if ((e as Error).message.includes('NGHTTP2_REFUSED_STREAM')) refused++;
        else errors.push(`h2 ${(e as NodeJS.ErrnoException).code}: ${(e as Error).message}`);
      }
    }
    session?.close();
  };
  const client = rpcClient(`127.0.0.1:${ports.bolt}`);
  const boltLane = async () => {
    while (running) {
      try {
        const got = await client.invoke('echo', ['ping']);
        if (got !== 'ping') errors.push(`bolt answered ${String(got)}`);
        counts.bolt++;
      } catch (e) {
        errors.push(`bolt ${(e as Error).message}`);
      }
    }
  };
  const lanes = [h1Lane(), h1Lane(), h1Lane(), h2Lane(), h2Lane(), boltLane(), boltLane()];
  return {
    counts,
    errors,
    configs,
    refused: () => refused,
    async stop() {
      running = false;
      await Promise.all(lanes);
      agent.destroy();
      await client.close();
    },
  };
}


describe('hot upgrade', () => {
  it('SIGUSR2 under steady HTTP/1, HTTP/2 and Bolt load: the new process takes the sockets over, the old drains and exits 0, no request fails', async () => {
    const first = await upgradableMosnWithBackends();
    const { pidFile, mosn: old } = first;

    const load = steadyLoad(first.ports);
    await waitUntil(() => load.counts.h1 > 50 && load.counts.h2 > 50 && load.counts.bolt > 20, 10_000, 'load running');
    // the new process reads the config file again: a changed route header says which process answered
    old.write(first.config('v2'));
    const before = { ...load.counts };
    old.child.kill('SIGUSR2');
    expect(await old.exited).toBe(0);
    const newPid = pidIn(pidFile);
    expect(newPid).not.toBe(old.pid);
    expect(alive(newPid)).toBe(true);
    // traffic goes on, now through the new process only
    await waitUntil(() => load.counts.h1 > before.h1 + 200 && load.counts.h2 > before.h2 + 200 && load.counts.bolt > before.bolt + 50, 15_000, 'load through the new process');
    await load.stop();
    expect(load.errors).toEqual([]);
    expect([...load.configs].sort()).toEqual(['v1', 'v2']);
    expect(old.output()).toContain('hot upgrade: the new process serves');
  });

  it('`mosn upgrade -c` finds mosn by its pid file; a new process with a bad config leaves the old one serving', async () => {
    const first = await upgradableMosnWithBackends();
    const { pidFile, mosn: old } = first;
    const good = first.config('v1');

    // a config with an error: the new process refuses to start, the old one keeps serving
    old.write({ ...good, cluster_manager: { clusters: [{ name: 'web', hosts: [{ address: 'nowhere' }] }] } });
    const failed = await runCli(['upgrade', '-c', old.file], 90_000);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('MOSN_ERR_UPGRADE');
    expect(old.running()).toBe(true);
    expect(old.output()).toContain('hot upgrade failed: the new process exited before it served');
    expect(pidIn(pidFile)).toBe(old.pid);
    const r = await fetch(`http://127.0.0.1:${first.ports.h1}/`);
    expect(r.status).toBe(200);

    // the file fixed: `mosn upgrade` succeeds and says which process serves
    old.write(good);
    const done = await runCli(['upgrade', '-c', old.file], 90_000);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/upgraded: mosn pid \d+ serves/);
    expect(await old.exited).toBe(0);
    expect((await fetch(`http://127.0.0.1:${first.ports.h1}/`)).status).toBe(200);
  });
});
