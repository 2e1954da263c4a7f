import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, closedPort, cluster, get, httpBackend } from '../helpers.js';
import { mosnJson, proxyListener, startMosnProcess } from '../reload/support.js';
import { DEMO, DubboConn, dubboConsumer, ORDER, rawCall, startProvider, STATUS } from '../dubbo/peers.js';

// The `dubbo_stream` filter with mosn as its own process (the built CLI): Dubbo consumers (dubbo2.js, and frames
// built with hessian.js) → mosn → apache-dubbo-service providers. The filter routes each request by its service
// name, the way Istio's routes for Dubbo are shaped (a virtual host per service, `domains` the service name,
// `prefix: "/"`), and counts it per service and method; the counters are read from the admin API.

const cleanups = cleanupAfterEach();

/** A virtual host for one Dubbo service name: every request of it to `cluster` (Istio's shape). */
const serviceHost = (service: string, cluster: string) => ({ name: service, domains: [service], routers: [{ match: { prefix: '/' }, route: { cluster_name: cluster } }] });

/**
 * Providers A and B (each serves DemoService and OrderService and answers `whoami` with its name); DemoService's
 * virtual host goes to A, OrderService's to B. Listener `filtered` (Dubbo) has dubbo_stream, `plain` (Dubbo) has
 * not, `auto` (Auto) has it too and its router also has a `*` virtual host to an HTTP backend.
 */
async function setup() {
  const A = await startProvider('A');
  const B = await startProvider('B');
  cleanups.push(() => A.close(), () => B.close());
  const web = await httpBackend((req, res) => res.end(`web ${req.headers.host} ${req.url}`));
  cleanups.push(web.close);
  const [filtered, plain, auto, admin] = [await closedPort(), await closedPort(), await closedPort(), await closedPort()];
  const dubboStream = [{ type: 'dubbo_stream', config: {} }];
  const byService = { router_config_name: 'services', virtual_hosts: [serviceHost(DEMO, 'a'), serviceHost(ORDER, 'b')] };
  const mixed = { router_config_name: 'mixed', virtual_hosts: [serviceHost(DEMO, 'a'), { name: 'web', domains: ['*'], routers: [{ match: { prefix: '/' }, route: { cluster_name: 'web' } }] }] };
  const mosn = await startMosnProcess(
    mosnJson({
      admin,
      logLevel: 'WARN',
      listeners: [
        { ...proxyListener('filtered', filtered, 'dubbo', 'services'), stream_filters: dubboStream },
        proxyListener('plain', plain, 'dubbo', 'services'),
        { ...proxyListener('auto', auto, 'Auto', 'mixed'), stream_filters: dubboStream },
      ],
      routers: [byService, mixed],
      clusters: [cluster('a', [A.address]), cluster('b', [B.address]), cluster('web', [web.address])],
    }),
    cleanups,
  );
  return { mosn, A, B, ports: { filtered, plain, auto } };
}

function consumer(port: number) {
  const c = dubboConsumer(`127.0.0.1:${port}`);
  cleanups.push(() => c.close());
  return c;
}

/** The stats of `listener`'s Dubbo service/method pairs: `<service>.<method>.<stat>` → value. */
function dubboStats(stats: Record<string, number>, listener: string): Record<string, number> {
  const prefix = `listener.${listener}.dubbo.`;
  return Object.fromEntries(Object.entries(stats).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
}

describe('dubbo_stream', () => {
  it("routes each Dubbo request to the virtual host named by its service; without the filter those routes match nothing", async () => {
    const { mosn, A, B, ports } = await setup();
    const c = consumer(ports.filtered);
    const who = async (service: string) => (await c.call<string>('whoami', [], { service })).res;
    expect([await who(DEMO), await who(ORDER), await who(DEMO), await who(ORDER)]).toEqual(['A', 'B', 'A', 'B']);
    expect([A.requests.map((r) => r.service), B.requests.map((r) => r.service)]).toEqual([
      [DEMO, DEMO],
      [ORDER, ORDER],
    ]);

    // the same router on a listener without the filter: an RPC request has no host or path, so no route matches
    const conn = await DubboConn.connect(ports.plain);
    cleanups.push(() => conn.close());
    const unrouted = await rawCall(conn, 1, { service: DEMO, method: 'whoami' });
    expect([unrouted.frame.status, unrouted.error]).toEqual([STATUS.SERVICE_NOT_FOUND, 'no route matched']);
    expect(A.requests.length + B.requests.length).toBe(4);
    expect(dubboStats(await mosn.stats(), 'plain')).toEqual({});
  });

  it("counts requests per service and method, and the upstream's answers by Dubbo status (admin stats)", async () => {
    const { mosn, A, ports } = await setup();
    const c = consumer(ports.filtered);
    for (let i = 0; i < 3; i++) expect((await c.call('whoami', [], { service: DEMO })).res).toBe('A');
    expect((await c.call('whoami', [], { service: ORDER })).res).toBe('B');
    // the provider has no such method: it answers SERVICE_NOT_FOUND (60) itself
    const conn = await DubboConn.connect(ports.filtered);
    cleanups.push(() => conn.close());
    const missing = await rawCall(conn, 7, { service: DEMO, method: 'nosuch' });
    expect([missing.frame.status, missing.error?.startsWith('SERVICE_NOT_FOUND#')]).toEqual([STATUS.SERVICE_NOT_FOUND, true]);
    expect(A.requests.map((r) => r.method)).toEqual(['whoami', 'whoami', 'whoami', 'nosuch']);
    expect(dubboStats(await mosn.stats(), 'filtered')).toEqual({
      [`${DEMO}.whoami.request_total`]: 3,
      [`${DEMO}.whoami.response_succ_total`]: 3,
      [`${ORDER}.whoami.request_total`]: 1,
      [`${ORDER}.whoami.response_succ_total`]: 1,
      [`${DEMO}.nosuch.request_total`]: 1,
      [`${DEMO}.nosuch.response_fail_total`]: 1,
    });
  });

  it('on an Auto listener: an HTTP request goes by its own Host and path, untouched and uncounted; a Dubbo one by its service', async () => {
    const { mosn, A, ports } = await setup();
    const r = await get(ports.auto, '/some/path?q=1', { headers: { host: 'shop.example' } });
    expect([r.status, r.body]).toEqual([200, 'web shop.example /some/path?q=1']);
    const c = consumer(ports.auto);
    expect((await c.call('whoami', [], { service: DEMO })).res).toBe('A');
    expect(A.requests.length).toBe(1);
    const stats = await mosn.stats();
    expect(dubboStats(stats, 'auto')).toEqual({ [`${DEMO}.whoami.request_total`]: 1, [`${DEMO}.whoami.response_succ_total`]: 1 });
    expect(stats['listener.auto.downstream_rq_total']).toBe(2);
  });
});
