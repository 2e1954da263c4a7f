import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { rpcClient, startRpcServer, type TestClient } from '../bolt/peers.js';
import { cleanupAfterEach, closedPort, cluster, httpBackend } from '../helpers.js';
import { KeepAliveClient, answeredBy, mosnJson, pathRouter, probeHttp, proxyListener, runLoad, serviceRouter, softFail, startMosnProcess, switchProblems, tcpProbe, waitUntil, type Load } from './support.js';

/*
 * Live reconfiguration under steady load: mosn as its own process serves keep-alive HTTP/1 (4 connections,
 * requests back to back) and SOFARPC Bolt (2 sofa-rpc-node clients, 4 call loops) for the whole test, while its
 * config file is rewritten and SIGHUP sent, step by step:
 *   (a) the routes move from cluster *_a (backend A) to *_b (backend B);
 *   (b) a listener is added (a new port answers), then removed (the port refuses, its idle connection closes);
 *   (c) the hosts of *_b are replaced by backend C (updated in place);
 *   (d) a config with an error (a route to an undefined cluster): nothing changes, then the good one again.
 * Across the whole run no call fails and mosn closes none of the clients' connections.
 */

const cleanups = cleanupAfterEach();

interface Ports {
  admin: number;
  http: number;
  bolt: number;
  extra: number;
}

/** What the test varies between reloads. */
interface State {
  httpRoute: string;
  boltRoute: string;
  /** The `extra` listener is configured. */
  extra: boolean;
  /** Hosts of http_b and bolt_b. */
  httpB: string;
  boltB: string;
  /** r_http names an undefined cluster (a config with an error). */
  broken?: boolean;
}

interface Backends {
  httpA: string;
  boltA: string;
}

function config(p: Ports, b: Backends, s: State): Record<string, unknown> {
  return mosnJson({
    admin: p.admin,
    gracefulTimeout: '3s',
    routers: [pathRouter('r_http', s.broken ? 'nope' : s.httpRoute), serviceRouter('r_bolt', s.boltRoute)],
    listeners: [
      proxyListener('http', p.http, 'Http1', 'r_http'),
      proxyListener('bolt', p.bolt, 'bolt', 'r_bolt', { upstream: 'bolt' }),
      ...(s.extra ? [proxyListener('extra', p.extra, 'Http1', 'r_http')] : []),
    ],
    clusters: [cluster('http_a', [b.httpA]), cluster('http_b', [s.httpB]), cluster('bolt_a', [b.boltA]), cluster('bolt_b', [s.boltB])],
  });
}

/** The first few failures of a load, for a failure message. */
function failuresOf(load: Load): string {
  return JSON.stringify(load.failures.slice(0, 5).map((f) => ({ ...f, sentAt: undefined })));
}

it('routes, listeners and hosts change under keep-alive HTTP/1 and Bolt load; a broken config changes nothing; no call fails, no connection is closed', async () => {
  // Backends: the body (HTTP) or whoami (Bolt) says who answered.
  const http = await Promise.all(['A', 'B', 'C'].map((name) => httpBackend((req, res) => req.resume().on('end', () => res.end(name)))));
  for (const h of http) cleanups.push(h.close);
  const bolt = await Promise.all(['bolt-A', 'bolt-B', 'bolt-C'].map((name) => startRpcServer(name)));
  for (const s of bolt) cleanups.push(s.close);
  const [httpA, httpB, httpC] = http.map((h) => h.address) as [string, string, string];
  const [boltA, boltB, boltC] = bolt.map((s) => s.address) as [string, string, string];
  const backends = { httpA, boltA };

  const p: Ports = { admin: await closedPort(), http: await closedPort(), bolt: await closedPort(), extra: await closedPort() };
  const s0: State = { httpRoute: 'http_a', boltRoute: 'bolt_a', extra: false, httpB, boltB };
  const mosn = await startMosnProcess(config(p, backends, s0), cleanups);

  // Steady load for the whole test (each loop bounded in count and time).
  const clients = Array.from({ length: 4 }, () => new KeepAliveClient(p.http));
  cleanups.push(() => clients.forEach((c) => c.destroy()));
  const rpc: TestClient[] = Array.from({ length: 2 }, () => rpcClient(`127.0.0.1:${p.bolt}`));
  cleanups.push(() => Promise.all(rpc.map((c) => c.close())));
  const httpLoad = runLoad('http', 4, (lane) => clients[lane]!.get('/'), { maxPerLane: 150_000, maxMs: 120_000 });
  const boltLoad = runLoad('bolt', 4, (lane) => rpc[lane % 2]!.invoke<string>('whoami', []), { maxPerLane: 100_000, maxMs: 120_000 });
  cleanups.push(() => Promise.all([httpLoad.stop(), boltLoad.stop()]));

  const bothFrom = async (httpWho: string, boltWho: string, since: number, what: string) => {
    await waitUntil(
      () => (answeredBy(httpLoad, since)[httpWho] ?? 0) >= 20 && (answeredBy(boltLoad, since)[boltWho] ?? 0) >= 20,
      10_000,
      what,
      () => `http ${JSON.stringify(answeredBy(httpLoad, since))}, bolt ${JSON.stringify(answeredBy(boltLoad, since))}; failures http ${failuresOf(httpLoad)} bolt ${failuresOf(boltLoad)}`,
    );
  };
  /**
   * Write `s`, SIGHUP, wait for `version`; within 1 s every new call is answered by `to` (HTTP) and `bolt-<to>`
   * (Bolt) and no loop goes back; the apply log lists `changes`. `step` and `what` name it in failure messages.
   */
  const moveTo = async (o: { step: string; s: State; version: number; what: string; to: string; changes: string[]; changesWhat: string }) => {
    mosn.write(config(p, backends, o.s));
    const h = mosn.hup();
    await mosn.waitStats((st) => st['config.version'] === o.version, 5000, `${o.step} config.version ${o.version} after ${o.what}`);
    expect.soft(await switchProblems(httpLoad, h.at, o.to), `${o.step} HTTP moves to ${o.to}`).toEqual([]);
    expect.soft(await switchProblems(boltLoad, h.at, `bolt-${o.to}`), `${o.step} Bolt moves to bolt-${o.to}`).toEqual([]);
    const applied = await mosn.waitLog((l) => l.msg === `config version ${o.version} applied`, h.mark, 2000, `${o.step} apply log`);
    expect.soft(applied.changes, `${o.step} ${o.changesWhat}`).toEqual(o.changes);
  };
  await bothFrom('A', 'bolt-A', 0, 'the load is answered by A');
  await sleep(1000); // steady load before the first change

  // (a) The routes move to the *_b clusters: within 1 s every new call is answered by B, and no loop goes back to A.
  const s1: State = { ...s0, httpRoute: 'http_b', boltRoute: 'bolt_b' };
  await moveTo({ step: '(a)', s: s1, version: 2, what: 'the route change', to: 'B', changes: ['router update r_http', 'router update r_bolt'], changesWhat: 'only the routers changed' });

  // (b) A listener is added: its port answers within 1 s (routed by r_http, so by B).
  const s2: State = { ...s1, extra: true };
  mosn.write(config(p, backends, s2));
  const b1 = mosn.hup();
  let lastProbe: unknown;
  await waitUntil(
    async () => {
      lastProbe = await probeHttp(p.extra, '/', 300);
      return typeof lastProbe === 'object' && (lastProbe as { status: number }).status === 200;
    },
    Math.max(0, b1.at + 1000 - Date.now()),
    '(b) the added listener answers within 1 s of the SIGHUP',
    () => `last probe: ${JSON.stringify(lastProbe)}`,
  ).catch(softFail);
  await mosn.waitStats((s) => s['config.version'] === 3, 5000, '(b) config.version 3 after the listener add');
  expect(await probeHttp(p.extra, '/', 2000), '(b) the added listener routes with r_http').toEqual({ status: 200, body: 'B' });
  // an idle keep-alive connection on it, to see it closed when the listener goes
  const extraClient = new KeepAliveClient(p.extra);
  cleanups.push(() => extraClient.destroy());
  expect(await extraClient.get('/')).toBe('B');

  // ... and removed: its port refuses connections within 1 s, and its idle connection is closed (drained).
  mosn.write(config(p, backends, s1));
  const b2 = mosn.hup();
  let lastTcp = '';
  await waitUntil(
    async () => (lastTcp = await tcpProbe(p.extra, 300)) === 'refused',
    Math.max(0, b2.at + 1000 - Date.now()),
    '(b) the removed listener refuses connections within 1 s of the SIGHUP',
    () => `last probe: ${lastTcp}`,
  ).catch(softFail);
  await mosn.waitStats((s) => s['config.version'] === 4, 5000, '(b) config.version 4 after the listener removal');
  await waitUntil(() => extraClient.closes === 1, 4500, '(b) the idle connection of the removed listener is closed within graceful_timeout').catch(softFail);
  expect.soft(await tcpProbe(p.extra, 500), '(b) still refused').toBe('refused');

  // (c) The hosts of the *_b clusters are replaced by C: within 1 s every new call goes to C; updated in place.
  const s4: State = { ...s1, httpB: httpC, boltB: boltC };
  await moveTo({ step: '(c)', s: s4, version: 5, what: 'the hosts change', to: 'C', changes: ['cluster hosts http_b', 'cluster hosts bolt_b'], changesWhat: 'hosts updated in place (not rebuilt)' });
  const good = config(p, backends, s4);
  const dump = (await mosn.configDump()) as { cluster_manager: { clusters: Array<{ name: string; hosts: unknown }> } };
  expect(dump.cluster_manager.clusters.find((x) => x.name === 'http_b')?.hosts, '(c) config_dump shows the new host').toEqual([{ address: httpC }]);
  expect.soft(dump, '(c) config_dump is the running config').toEqual(good);

  // (d) A config with an error: nothing changes; the error is logged with its JSON path; config.apply_failed = 1.
  const before = await mosn.stats();
  mosn.write(config(p, backends, { ...s4, broken: true }));
  const d = mosn.hup();
  const path = 'servers[0].routers[0].virtual_hosts[0].routers[0].route.cluster_name';
  await mosn.waitStats((s) => s['config.apply_failed'] === 1, 5000, '(d) config.apply_failed 1 after the broken config');
  await mosn.waitLog((l) => l.level >= 50 && l.msg.includes(path) && l.msg.includes('"nope"'), d.mark, 2000, '(d) the error logged with its JSON path');
  expect.soft(mosn.stderr(), '(d) stderr has the error with its JSON path').toContain(`config: ${path}: cluster \\"nope\\" is not defined`);
  await sleep(500);
  const afterBroken = await mosn.stats();
  expect.soft(afterBroken['config.version'], '(d) the version stays').toBe(5);
  expect.soft(afterBroken['config.apply_total'], '(d) no apply counted').toBe(before['config.apply_total']);
  expect.soft(answeredBy(httpLoad, d.at), '(d) HTTP still answered by C only').toEqual({ C: expect.any(Number) });
  expect.soft(answeredBy(boltLoad, d.at), '(d) Bolt still answered by bolt-C only').toEqual({ 'bolt-C': expect.any(Number) });
  expect.soft(await mosn.configDump(), '(d) config_dump is still the last good config').toEqual(good);

  // ... then the good config again: applied, nothing to change.
  mosn.write(good);
  const d2 = mosn.hup();
  const again = await mosn.waitStats((s) => s['config.apply_total'] === (before['config.apply_total'] ?? 0) + 1, 5000, '(d) the good config applied again');
  expect.soft(again['config.version'], '(d) nothing changed: same version').toBe(5);
  expect.soft(again['config.apply_failed']).toBe(1);
  await sleep(300);
  expect.soft(answeredBy(httpLoad, d2.at), '(d) HTTP answered by C').toEqual({ C: expect.any(Number) });
  expect.soft(answeredBy(boltLoad, d2.at), '(d) Bolt answered by bolt-C').toEqual({ 'bolt-C': expect.any(Number) });

  // The whole run: no failure, a large number of calls, the same connections from start to end.
  // steady load after the last change, until the run has made a large number of calls (bounded in time)
  await sleep(1000);
  await waitUntil(() => httpLoad.requests() >= 5000 && boltLoad.requests() >= 3000, 60_000, 'the load reaches 5000 HTTP requests and 3000 Bolt calls', () =>
    `HTTP ${httpLoad.requests()}, Bolt ${boltLoad.requests()}`,
  ).catch(softFail);
  const closes = clients.map((cl) => ({ sockets: cl.sockets, closes: cl.closes }));
  await Promise.all([httpLoad.stop(), boltLoad.stop()]);
  const stats = await mosn.stats();
  expect.soft(httpLoad.failures.length, `HTTP failures: ${failuresOf(httpLoad)}`).toBe(0);
  expect.soft(boltLoad.failures.length, `Bolt failures: ${failuresOf(boltLoad)}`).toBe(0);
  expect.soft(httpLoad.requests(), 'HTTP requests made').toBeGreaterThanOrEqual(5000);
  expect.soft(boltLoad.requests(), 'Bolt calls made').toBeGreaterThanOrEqual(3000);
  expect.soft(closes, 'each HTTP client kept its one keep-alive connection').toEqual(clients.map(() => ({ sockets: 1, closes: 0 })));
  expect.soft(stats['listener.http.downstream_cx_total'], 'connections mosn accepted on the HTTP listener').toBe(4);
  expect.soft(stats['listener.bolt.downstream_cx_total'], 'connections mosn accepted on the Bolt listener').toBe(2);
  expect.soft(rpc.flatMap((r) => r.errors.map((e) => e.message)), 'Bolt client errors').toEqual([]);
  expect(mosn.running(), `mosn exited:\n${mosn.tail()}`).toBe(true);
}, 150_000);
