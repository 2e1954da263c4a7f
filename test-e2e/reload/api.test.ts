import http from 'node:http';
import { describe, expect, it } from 'vitest';
import type { Mosn } from 'mosn';
import { cleanupAfterEach, closedPort, cluster, port, startMosnWithCleanup } from '../helpers.js';
import { direct, heldBackend, mosnConfig, proxyListener, request, router, stepsOf, tcpProbe, toCluster, waitUntil, type HeldBackend } from './support.js';

// The in-process API of live reconfiguration (packages/mosn/src/mosn.ts): each call's ApplyResult, and what
// traffic sees afterwards. Real node:http backends and clients on 127.0.0.1; mosn in this process, so that its
// running objects (clusters, hosts, pools, listeners) can be compared by identity before and after a change.

const cleanups = cleanupAfterEach();

async function backend(name: string): Promise<HeldBackend> {
  const b = await heldBackend(name);
  cleanups.push(b.close);
  return b;
}

/** A keep-alive client agent with one socket: sequential requests reuse one connection. */
function keepAlive(): http.Agent {
  const a = new http.Agent({ keepAlive: true, maxSockets: 1 });
  cleanups.push(() => a.destroy());
  return a;
}

async function started(config: unknown): Promise<{ mosn: Mosn; p: number }> {
  return startMosnWithCleanup(config, cleanups);
}

/** Listener `l` → router `r` with `routes`, and `clusters`. */
function oneListener(routes: unknown[], clusters: unknown[], server: Record<string, unknown> = {}): Record<string, unknown> {
  return mosnConfig({ routers: [router('r', routes)], listeners: [proxyListener('l', 0, 'Http1', 'r')], clusters, server });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const source = (mosn: Mosn): any => mosn.config.source;

describe('in-process API: routers', () => {
  it('upsertRouter swaps the table: the route moves to another cluster, on a connection already open too', async () => {
    const A = await backend('A');
    const B = await backend('B');
    const { mosn, p } = await started(oneListener([toCluster('/', 'a')], [cluster('a', [A.address]), cluster('b', [B.address])]));
    expect(mosn.version).toBe(1);
    const ka = keepAlive();
    const first = await request(p, '/x', ka);
    expect(first.body).toBe('A /x');
    const table = mosn.routers.get('r');
    const listener = mosn.listeners[0];

    const r = await mosn.upsertRouter(router('r', [toCluster('/', 'b')]));
    expect(stepsOf(r)).toEqual(['router update r']);
    expect(r.version).toBe(2);
    expect(mosn.version).toBe(2);

    // the next request on the same downstream connection is routed by the new table
    const second = await request(p, '/x', ka);
    expect(second.socket).toBe(first.socket);
    expect(second.body).toBe('B /x');
    expect((await request(p, '/y')).body).toBe('B /y');
    expect(mosn.routers.get('r')).not.toBe(table);
    // the listener was not touched
    expect(mosn.listeners[0]).toBe(listener);
    expect(port(mosn.listenerAddress('l'))).toBe(p);
    expect(source(mosn).servers[0].routers).toEqual([router('r', [toCluster('/', 'b')])]);
  });

  it('upsertRouter adds a router, removeRouter removes it; removing one a listener uses is refused with its path', async () => {
    const { mosn, p } = await started(oneListener([direct('/', 'r')], []));
    const added = await mosn.upsertRouter(router('r2', [direct('/', 'r2')]));
    expect(stepsOf(added)).toEqual(['router add r2']);
    expect(added.version).toBe(2);
    expect(mosn.routers.names().sort()).toEqual(['r', 'r2']);

    const removed = await mosn.removeRouter('r2');
    expect(stepsOf(removed)).toEqual(['router remove r2']);
    expect(removed.version).toBe(3);
    expect(mosn.routers.get('r2')).toBeUndefined();
    expect(source(mosn).servers[0].routers.map((x: { router_config_name: string }) => x.router_config_name)).toEqual(['r']);

    const refused = await mosn.removeRouter('r');
    expect(refused.ok).toBe(false);
    expect(refused.version).toBe(3);
    if (refused.ok) return;
    expect(refused.problems.map((x) => x.path)).toContainEqual(expect.stringMatching(/^servers\[0\]\.listeners\[0\]\.filter_chains\[0\]\.filters\[0\]\.config\.router_config_name$/));
    expect(mosn.version).toBe(3);
    expect(mosn.routers.get('r')).toBeDefined();
    expect((await request(p, '/')).body).toBe('r');
  });

  it('under load, 100 router swaps and 20 rebuilds of the routed cluster fail no request: each is answered by the old or the new config', async () => {
    const A = await backend('A');
    const B = await backend('B');
    const { mosn, p } = await started(oneListener([toCluster('/', 'a')], [cluster('a', [A.address]), cluster('b', [B.address])]));
    let stop = false;
    const results: string[] = [];
    const client = async (k: number) => {
      const agent = keepAlive();
      for (let i = 0; !stop; i++) {
        try {
          const a = await request(p, `/c${k}/${i}`, agent);
          results.push(a.status === 200 && /^[AB] \/c\d+\/\d+$/.test(a.body) ? 'ok' : `${a.status} ${a.body}`);
        } catch (e) {
          results.push(`error ${(e as Error).message}`);
        }
      }
    };
    const clients = [0, 1, 2, 3].map((k) => client(k));
    for (let i = 0; i < 100; i++) {
      const r = await mosn.upsertRouter(router('r', [toCluster('/', i % 2 === 0 ? 'b' : 'a')]));
      expect(stepsOf(r)).toEqual(['router update r']);
      if (i % 5 === 0) {
        const lb = (i / 5) % 2 === 0 ? 'LB_RANDOM' : 'LB_ROUNDROBIN';
        expect(stepsOf(await mosn.upsertCluster(cluster('a', [A.address], { lb_type: lb })))).toEqual(['cluster rebuild a']);
      }
      await new Promise((res) => setTimeout(res, 2));
    }
    stop = true;
    await Promise.all(clients);
    expect(mosn.version).toBe(1 + 100 + 20);
    expect(results.length).toBeGreaterThan(100);
    expect(results.filter((x) => x !== 'ok')).toEqual([]);
  });

  it('calls made together are applied one after another, in the order they were made', async () => {
    const { mosn, p } = await started(oneListener([direct('/', 'v1')], []));
    const [a, b, c] = await Promise.all([
      mosn.upsertRouter(router('r', [direct('/', 'v2')])),
      mosn.upsertRouter(router('r', [direct('/', 'v3')])),
      mosn.upsertRouter(router('r', [direct('/', 'v4')])),
    ]);
    expect([a.version, b.version, c.version]).toEqual([2, 3, 4]);
    expect((await request(p, '/')).body).toBe('v4');
    expect(source(mosn).servers[0].routers).toEqual([router('r', [direct('/', 'v4')])]);
  });
});

describe('in-process API: listeners', () => {
  it('upsertListener adds a listener that answers at once; an update keeps its port and gives only new connections the new chain; removeListener refuses new connects', async () => {
    const { mosn, p } = await started(mosnConfig({ routers: [router('r', [direct('/', 'from r')]), router('r2', [direct('/', 'from r2')])], listeners: [proxyListener('l', 0, 'Http1', 'r')], clusters: [] }));

    const added = await mosn.upsertListener(proxyListener('l2', 0, 'Http1', 'r'));
    expect(stepsOf(added)).toEqual(['listener add l2']);
    expect(added.version).toBe(2);
    const p2 = port(mosn.listenerAddress('l2'));
    expect(p2).not.toBe(p);
    expect(p2).toBeGreaterThan(0);
    const ka = keepAlive();
    const before = await request(p2, '/', ka);
    expect(before.body).toBe('from r');
    expect(mosn.listeners.map((l) => l.name).sort()).toEqual(['l', 'l2']);
    expect(source(mosn).servers[0].listeners.map((l: { name: string }) => l.name)).toEqual(['l', 'l2']);

    // same address (127.0.0.1:0): updated in place, it keeps its socket and port
    const updated = await mosn.upsertListener(proxyListener('l2', 0, 'Http1', 'r2'));
    expect(stepsOf(updated)).toEqual(['listener update l2']);
    expect(port(mosn.listenerAddress('l2'))).toBe(p2);
    expect((await request(p2, '/')).body).toBe('from r2');
    // the connection accepted before keeps the filter chain it was given
    const old = await request(p2, '/', ka);
    expect(old.socket).toBe(before.socket);
    expect(old.body).toBe('from r');

    const removed = await mosn.removeListener('l2');
    expect(stepsOf(removed)).toEqual(['listener remove l2']);
    expect(removed.version).toBe(4);
    expect(await tcpProbe(p2)).toBe('refused');
    expect(() => mosn.listenerAddress('l2')).toThrow(/no listener named l2/);
    expect(mosn.listeners.map((l) => l.name)).toEqual(['l']);
    expect(mosn.config.listeners.map((l) => l.name)).toEqual(['l']);
    // config_dump (`config.source`) is documented as the running config: a listener that is not running is not in it
    expect.soft(source(mosn).servers[0].listeners.map((l: { name: string }) => l.name), 'listeners in config.source after a failed add').toEqual(['l']);
    // the other listener goes on
    expect((await request(p, '/')).body).toBe('from r');
  });

  it('removing a listener that does not exist is refused, naming it; nothing changes', async () => {
    const { mosn, p } = await started(oneListener([direct('/', 'ok')], []));
    const r = await mosn.removeListener('nope');
    expect(r.ok).toBe(false);
    expect(r.version).toBe(1);
    if (r.ok) return;
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.message).toMatch(/listener named "nope"/);
    expect(mosn.stats.get('config.apply_failed')).toBe(1);
    expect((await request(p, '/')).body).toBe('ok');
  });

  it('a listener moved to another address: removed then added; the old address refuses, the new one answers', async () => {
    const { mosn, p } = await started(oneListener([direct('/', 'ok')], []));
    const free = await closedPort();
    const r = await mosn.upsertListener(proxyListener('l', free, 'Http1', 'r'));
    expect(stepsOf(r)).toEqual(['listener remove l', 'listener add l']);
    expect(port(mosn.listenerAddress('l'))).toBe(free);
    expect((await request(free, '/')).body).toBe('ok');
    expect(await tcpProbe(p)).toBe('refused');
  });
});

describe('in-process API: clusters', () => {
  it('setClusterHosts updates the hosts in place: same Cluster, same Host and pool for a kept address, its keep-alive upstream connection reused', async () => {
    const A = await backend('A');
    const B = await backend('B');
    const { mosn, p } = await started(oneListener([toCluster('/', 'c')], [cluster('c', [A.address])]));
    const ka = keepAlive();
    expect((await request(p, '/1', ka)).body).toBe('A /1');
    expect(A.connections()).toBe(1);
    const clusterC = mosn.clusters.get('c')!;
    const hostA = clusterC.hosts[0]!;
    expect(hostA.addressText).toBe(A.address);
    expect(hostA.activeConnections).toBe(1);
    const poolsA = [...hostA.pools];
    expect(poolsA.length).toBeGreaterThan(0);

    const r = await mosn.setClusterHosts('c', [
      { address: A.address, weight: 1 },
      { address: B.address, weight: 1 },
    ]);
    expect(stepsOf(r)).toEqual(['cluster hosts c']);
    expect(r.version).toBe(2);
    expect(mosn.clusters.get('c')).toBe(clusterC);
    expect(clusterC.hosts.map((h) => h.addressText)).toEqual([A.address, B.address]);
    expect(clusterC.hosts[0]).toBe(hostA);
    expect(hostA.healthy).toBe(true);
    expect(hostA.retired).toBe(false);
    expect([...hostA.pools]).toEqual(poolsA);
    for (let i = 0; i < poolsA.length; i++) expect([...hostA.pools][i]).toBe(poolsA[i]);
    expect(hostA.activeConnections).toBe(1);
    const hostB = clusterC.hosts[1]!;

    // round robin over both; A's upstream connection from before the change is reused
    const bodies: string[] = [];
    for (let i = 0; i < 6; i++) bodies.push((await request(p, `/r${i}`, ka)).body);
    expect(bodies.filter((b) => b.startsWith('A ')).length).toBeGreaterThan(0);
    expect(bodies.filter((b) => b.startsWith('B ')).length).toBeGreaterThan(0);
    expect(A.connections()).toBe(1);
    expect(B.connections()).toBe(1);
    expect(source(mosn).cluster_manager.clusters[0].hosts).toEqual([
      { address: A.address, weight: 1 },
      { address: B.address, weight: 1 },
    ]);

    // A out: the same cluster, B's Host kept; A's idle upstream connection is closed, nothing more goes to A
    const out = await mosn.setClusterHosts('c', [{ address: B.address, weight: 1 }]);
    expect(stepsOf(out)).toEqual(['cluster hosts c']);
    expect(mosn.clusters.get('c')).toBe(clusterC);
    expect(clusterC.hosts).toEqual([hostB]);
    expect(clusterC.hosts[0]).toBe(hostB);
    expect(hostA.retired).toBe(true);
    await waitUntil(() => A.open() === 0, 3000, "the removed host's idle upstream connection closes", () => `(A has ${A.open()} open)`);
    const requestsToA = A.requests();
    for (let i = 0; i < 4; i++) expect((await request(p, `/s${i}`, ka)).body).toBe(`B /s${i}`);
    expect(A.requests()).toBe(requestsToA);
    expect(B.connections()).toBe(1);
  });

  it('setClusterHosts keeps the health verdict of a kept host: one an active check found unhealthy stays so, and gets no request', async () => {
    const A = await backend('A');
    const B = await heldBackend('B', { healthStatus: 503 });
    cleanups.push(B.close);
    const C = await backend('C');
    const D = await backend('D');
    const healthCheck = {
      protocol: 'Http1',
      timeout: '1s',
      interval: '60s', // one check per host in this test: a verdict seen later was kept, not made again
      initial_delay_seconds: '10ms',
      healthy_threshold: 1,
      unhealthy_threshold: 1,
      check_config: { http_check_config: { path: '/health', method: 'GET', codes: [{ start: 200, end: 299 }] } },
    };
    const { mosn, p } = await started(oneListener([toCluster('/', 'c')], [cluster('c', [A.address, B.address, C.address], { lb_type: 'LB_ROUNDROBIN', health_check: healthCheck })]));
    const clusterC = mosn.clusters.get('c')!;
    const hostB = clusterC.hostByAddress(B.address)!;
    await waitUntil(() => !hostB.healthy, 3000, 'the check finds B unhealthy');
    expect(B.checks()).toBe(1);

    const r = await mosn.setClusterHosts('c', [{ address: A.address }, { address: B.address }, { address: C.address }, { address: D.address }]);
    expect(stepsOf(r)).toEqual(['cluster hosts c']);
    expect(mosn.clusters.get('c')).toBe(clusterC);
    expect(clusterC.hostByAddress(B.address)).toBe(hostB);
    expect(hostB.healthy).toBe(false);
    const bodies: string[] = [];
    for (let i = 0; i < 24; i++) bodies.push((await request(p, `/q${i}`)).body);
    expect(bodies.filter((b) => b.startsWith('B '))).toEqual([]);
    expect(B.requests()).toBe(0);
    expect(B.checks()).toBe(1); // not checked again: the verdict is the one from before the change
    expect(bodies.filter((b) => b.startsWith('D ')).length).toBeGreaterThan(0);
  });

  it('setClusterHosts with the hosts it already has changes nothing (no new version)', async () => {
    const A = await backend('A');
    const { mosn } = await started(oneListener([toCluster('/', 'c')], [cluster('c', [A.address])]));
    const r = await mosn.setClusterHosts('c', [{ address: A.address }]);
    expect(stepsOf(r)).toEqual([]);
    expect(r.version).toBe(1);
    expect(mosn.version).toBe(1);
  });

  it('upsertCluster with another lb_type rebuilds it: new requests get the new cluster, a request in flight on the old one completes, then the old pools close', async () => {
    const A = await backend('A');
    const { mosn, p } = await started(oneListener([toCluster('/', 'c')], [cluster('c', [A.address])]));
    const slow = request(p, '/hold/1');
    slow.catch(() => {}); // awaited below; a failure before that must not surface as an unhandled rejection
    await waitUntil(() => A.held() === 1, 3000, 'the backend holds the first request');
    const old = mosn.clusters.get('c')!;
    const oldHost = old.hosts[0]!;
    expect(old.activeConnections).toBe(1);

    const r = await mosn.upsertCluster(cluster('c', [A.address], { lb_type: 'LB_RANDOM' }));
    expect(stepsOf(r)).toEqual(['cluster rebuild c']);
    expect(r.version).toBe(2);
    const rebuilt = mosn.clusters.get('c')!;
    expect(rebuilt).not.toBe(old);
    expect(rebuilt.hosts[0]).not.toBe(oldHost);
    expect(rebuilt.hosts[0]!.addressText).toBe(A.address);
    expect(oldHost.retired).toBe(true);
    expect(oldHost.activeConnections).toBe(1);
    // the retired cluster counts each of its connections once (it adds its busy hosts to its draining set on retire)
    expect.soft(old.activeConnections, 'Cluster.activeConnections of a retired cluster').toBe(1);

    // a new request goes through the new cluster's own pool
    const fast = await request(p, '/fast');
    expect(fast.status).toBe(200);
    expect(fast.body).toBe('A /fast');
    expect(rebuilt.hosts[0]!.activeConnections).toBe(1);
    // the old cluster's connection still carries the request in flight
    expect(oldHost.activeConnections).toBe(1);
    expect(A.held()).toBe(1);

    A.release();
    const done = await slow;
    expect(done.status).toBe(200);
    expect(done.body).toBe('A /hold/1');
    await waitUntil(() => oldHost.activeConnections === 0, 3000, "the old cluster's pool closes its connection once the request is answered", () => `(${oldHost.activeConnections} left)`);
    expect(old.activeConnections).toBe(0);
    await waitUntil(() => A.open() === 1, 3000, 'only the new cluster keeps a connection to A', () => `(A has ${A.open()} open)`);
    expect(source(mosn).cluster_manager.clusters[0].lb_type).toBe('LB_RANDOM');
  });

  it('upsertCluster adds a cluster a router can then send to', async () => {
    const A = await backend('A');
    const { mosn, p } = await started(oneListener([direct('/', 'none')], []));
    const added = await mosn.upsertCluster(cluster('new', [A.address]));
    expect(stepsOf(added)).toEqual(['cluster add new']);
    expect(mosn.clusters.get('new')?.hosts.map((h) => h.addressText)).toEqual([A.address]);
    const routed = await mosn.upsertRouter(router('r', [toCluster('/', 'new')]));
    expect(stepsOf(routed)).toEqual(['router update r']);
    expect(routed.version).toBe(3);
    expect((await request(p, '/n')).body).toBe('A /n');
  });

  it('removeCluster is refused while a route names it (with the path of that route), and allowed once nothing does', async () => {
    const A = await backend('A');
    const B = await backend('B');
    const { mosn, p } = await started(oneListener([toCluster('/', 'a')], [cluster('a', [A.address]), cluster('b', [B.address])]));
    const running = mosn.config;
    const clusterA = mosn.clusters.get('a');

    const refused = await mosn.removeCluster('a');
    expect(refused.ok).toBe(false);
    expect(refused.version).toBe(1);
    if (refused.ok) return;
    expect(refused.problems.map((x) => x.path)).toContain('servers[0].routers[0].virtual_hosts[0].routers[0].route.cluster_name');
    expect(mosn.version).toBe(1);
    expect(mosn.config).toBe(running);
    expect(mosn.clusters.get('a')).toBe(clusterA);
    expect(mosn.stats.get('config.apply_failed')).toBe(1);
    expect((await request(p, '/still')).body).toBe('A /still');

    const removed = await mosn.removeCluster('b');
    expect(stepsOf(removed)).toEqual(['cluster remove b']);
    expect(removed.version).toBe(2);
    expect(mosn.clusters.get('b')).toBeUndefined();
    expect(source(mosn).cluster_manager.clusters.map((c: { name: string }) => c.name)).toEqual(['a']);
    expect((await request(p, '/after')).body).toBe('A /after');
  });
});

describe('in-process API: whole configs', () => {
  it('a whole config with errors is refused with the paths of its problems; version, config and traffic stay as they were', async () => {
    const A = await backend('A');
    const B = await backend('B');
    const initial = oneListener([toCluster('/', 'a')], [cluster('a', [A.address]), cluster('b', [B.address])]);
    const { mosn, p } = await started(initial);
    const running = mosn.config;
    const listener = mosn.listeners[0];

    // it would move the route to b (visible), but two sections are broken
    const broken = oneListener([toCluster('/', 'b')], [cluster('a', [A.address]), cluster('b', [B.address], { lb_type: 'LB_NOPE' })]);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    (broken as any).servers[0].listeners[0].address = 'not an address';
    const r = await mosn.apply(broken);
    expect(r.ok).toBe(false);
    expect(r.version).toBe(1);
    if (r.ok) return;
    const paths = r.problems.map((x) => x.path);
    expect(paths).toContain('servers[0].listeners[0].address');
    expect(paths).toContain('cluster_manager.clusters[1].lb_type');
    expect(mosn.version).toBe(1);
    expect(mosn.config).toBe(running);
    expect(mosn.config.source).toEqual(initial);
    expect(mosn.listeners[0]).toBe(listener);
    expect(port(mosn.listenerAddress('l'))).toBe(p);
    expect(mosn.stats.get('config.apply_failed')).toBe(1);
    expect((await request(p, '/x')).body).toBe('A /x');

    // not an object at all
    const garbage = await mosn.apply('{"servers": [');
    expect(garbage.ok).toBe(false);
    expect(mosn.version).toBe(1);
    expect(mosn.stats.get('config.apply_failed')).toBe(2);
    expect((await request(p, '/y')).body).toBe('A /y');
  });

  it('apply changes only what differs, in order (clusters, routers, listeners; unused clusters last); the same config again changes nothing', async () => {
    const A = await backend('A');
    const B = await backend('B');
    const C = await backend('C');
    const initial = mosnConfig({
      routers: [router('r', [toCluster('/', 'a')]), router('old', [direct('/', 'old')])],
      listeners: [proxyListener('l', 0, 'Http1', 'r'), proxyListener('gone', 0, 'Http1', 'old')],
      clusters: [cluster('a', [A.address]), cluster('hosts', [A.address]), cluster('lb', [A.address]), cluster('unused', [A.address]), cluster('same', [A.address])],
    });
    const { mosn, p } = await started(initial);
    const gonePort = port(mosn.listenerAddress('gone'));
    const same = mosn.clusters.get('same');
    const next = mosnConfig({
      routers: [router('r', [toCluster('/', 'b')]), router('new', [toCluster('/', 'c')])],
      listeners: [proxyListener('l', 0, 'Http1', 'r'), proxyListener('added', 0, 'Http1', 'new')],
      clusters: [
        cluster('a', [A.address]),
        cluster('b', [B.address]),
        cluster('c', [C.address]),
        cluster('hosts', [A.address, B.address]),
        cluster('lb', [A.address], { lb_type: 'LB_LEAST_REQUEST' }),
        cluster('same', [A.address]),
      ],
    });
    const r = await mosn.apply(next);
    expect(stepsOf(r)).toEqual([
      'cluster add b',
      'cluster add c',
      'cluster hosts hosts',
      'cluster rebuild lb',
      'router add new',
      'router update r',
      'listener remove gone',
      'listener add added',
      'router remove old',
      'cluster remove unused',
    ]);
    expect(r.version).toBe(2);
    expect(mosn.clusters.get('same')).toBe(same);
    expect((await request(p, '/1')).body).toBe('B /1');
    expect((await request(port(mosn.listenerAddress('added')), '/2')).body).toBe('C /2');
    expect(await tcpProbe(gonePort)).toBe('refused');
    expect(mosn.config.source).toEqual(next);

    const again = await mosn.apply(structuredClone(next));
    expect(stepsOf(again)).toEqual([]);
    expect(again.version).toBe(2);
    expect(mosn.version).toBe(2);
    expect(mosn.clusters.get('same')).toBe(same);
  });

  it('an added listener whose address is taken is reported in `failed`, the rest is applied, and the next apply adds it', async () => {
    const { mosn, p } = await started(oneListener([direct('/', 'v1')], []));
    const blocker = await heldBackend('blocker');
    let closed = false;
    cleanups.push(() => (closed ? undefined : blocker.close()));
    const r = await mosn.apply(
      mosnConfig({
        routers: [router('r', [direct('/', 'v2')])],
        listeners: [proxyListener('l', 0, 'Http1', 'r'), proxyListener('taken', blocker.port, 'Http1', 'r')],
        clusters: [],
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.changes.map((c) => `${c.kind} ${c.op} ${c.name}`)).toEqual(['router update r', 'listener add taken']);
    expect(r.failed.map((f) => `${f.change.kind} ${f.change.op} ${f.change.name}`)).toEqual(['listener add taken']);
    expect(r.failed[0]!.error.message).toMatch(/EADDRINUSE/);
    expect((await request(p, '/')).body).toBe('v2');
    expect(mosn.listeners.map((l) => l.name)).toEqual(['l']);
    expect(mosn.config.listeners.map((l) => l.name)).toEqual(['l']);
    // config_dump (`config.source`) is documented as the running config: a listener that is not running is not in it
    expect.soft(source(mosn).servers[0].listeners.map((l: { name: string }) => l.name), 'listeners in config.source after a failed add').toEqual(['l']);

    await blocker.close();
    closed = true;
    const retry = await mosn.apply(
      mosnConfig({
        routers: [router('r', [direct('/', 'v2')])],
        listeners: [proxyListener('l', 0, 'Http1', 'r'), proxyListener('taken', blocker.port, 'Http1', 'r')],
        clusters: [],
      }),
    );
    expect(stepsOf(retry)).toEqual(['listener add taken']);
    expect((await request(blocker.port, '/')).body).toBe('v2');
  });
});
