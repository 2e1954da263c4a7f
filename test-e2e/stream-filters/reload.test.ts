import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, closedPort, cluster, httpBackend } from '../helpers.js';
import { mosnJson, pathRouter, probeHttp, proxyListener, router, startMosnProcess, waitUntil } from '../reload/support.js';

// mosn as its own process (the built CLI): a listener's stream_filters and a route's per_filter_config change
// with a reload (kill -HUP), and a config naming an unknown filter type is refused with nothing changed.

const cleanups = cleanupAfterEach();

describe('stream filters and reload', () => {
  it('adds, changes and removes filters on SIGHUP; an unknown filter type is refused, listing the known ones', async () => {
    const b = await httpBackend((req, res) => req.resume().on('end', () => res.end('A')));
    cleanups.push(b.close);
    const admin = await closedPort();
    const port = await closedPort();
    const clusters = [cluster('c', [b.address])];
    const listener = (streamFilters?: unknown[]) => ({ ...proxyListener('l', port, 'Http1', 'r'), ...(streamFilters ? { stream_filters: streamFilters } : {}) });
    const config = (streamFilters?: unknown[], routers = [pathRouter('r', 'c')]) => mosnJson({ admin, listeners: [listener(streamFilters)], routers, clusters });
    const answers = (status: number) => async () => {
      const r = await probeHttp(port, '/', 2000);
      return typeof r === 'object' && r.status === status;
    };

    const mosn = await startMosnProcess(config(), cleanups);
    expect(await probeHttp(port, '/', 2000)).toEqual({ status: 200, body: 'A' });

    // a filter added: new connections are denied
    mosn.write(config([{ type: 'ip_access', config: { default_action: 'deny', ips: [{ action: 'allow', addrs: ['10.0.0.0/8'] }] } }]));
    mosn.hup();
    await waitUntil(answers(403), 5000, 'ip_access applied', () => mosn.tail());

    // the filter's config changed
    mosn.write(config([{ type: 'ip_access', config: { default_action: 'deny', ips: [{ action: 'allow', addrs: ['127.0.0.0/8'] }] } }]));
    mosn.hup();
    await waitUntil(answers(200), 5000, 'ip_access allows 127.0.0.1 after the change', () => mosn.tail());

    // a fault filter whose route turns it on (per_filter_config)
    const faultRoute = router('r', [{ match: { prefix: '/' }, route: { cluster_name: 'c' }, per_filter_config: { fault: { abort: { status: 418, percentage: 100 } } } }]);
    mosn.write(config([{ type: 'fault', config: {} }], [faultRoute]));
    mosn.hup();
    await waitUntil(answers(418), 5000, 'the route turned the fault filter on', () => mosn.tail());

    // an unknown type: refused, the running config stays
    const mark = mosn.output().length;
    mosn.write(config([{ type: 'gzip_but_not_quite' }], [faultRoute]));
    mosn.hup();
    const line = await mosn.waitLog((l) => JSON.stringify(l).includes('gzip_but_not_quite'), mark, 5000, 'the refusal');
    expect(JSON.stringify(line)).toContain('supported: fault, payload_limit, ip_access');
    expect(await probeHttp(port, '/', 2000)).toMatchObject({ status: 418 });

    // filters removed
    mosn.write(config());
    mosn.hup();
    await waitUntil(answers(200), 5000, 'the filters removed', () => mosn.tail());
    const stats = await mosn.stats();
    expect(stats['listener.l.stream_filter_local_reply']).toBeGreaterThanOrEqual(2);
  });
});
