import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, closedPort, cluster, get, httpBackend } from '../helpers.js';
import { mosnJson, proxyListener, router, runCli, startMosnProcess, toCluster } from '../reload/support.js';

/*
 * MOSN's Prometheus metrics sink on mosn as its own process: HTTP/1 traffic through a listener, then `/metrics`
 * scraped and read by a real Prometheus text-format parser (parse-prometheus-text-format, a port of the Prometheus
 * Python client's parser); a busy sink port at start. Names and labels: docs/operations.md ("Metrics").
 */

/** prom2json's shape: one family per metric name, each sample with its labels and its value as text. */
interface Family {
  name: string;
  type: string;
  metrics: Array<{ value: string; labels?: Record<string, string> }>;
}
const parsePrometheusTextFormat = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];

const cleanups = cleanupAfterEach();

/** The value of `name` with exactly `labels`, or undefined when there is no such sample. */
function sample(families: Family[], name: string, labels: Record<string, string> = {}): number | undefined {
  const f = families.find((x) => x.name === name);
  const m = f?.metrics.find((s) => JSON.stringify(s.labels ?? {}) === JSON.stringify(labels));
  return m === undefined ? undefined : Number(m.value);
}

function metricsTop(port: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { metrics: { sinks: [{ type: 'prometheus', config: { port, endpoint: '/metrics' } }], shm_zone: 'mosn_shm', flush_mosn: true, ...extra } };
}

describe('prometheus metrics sink, mosn as its own process', () => {
  it('counts HTTP/1 requests through a listener: scraped and parsed, the counters match the requests made', async () => {
    const backend = await httpBackend((req, res) => req.resume().on('end', () => res.end('ok')));
    cleanups.push(backend.close);
    const [admin, port, metrics, dead] = [await closedPort(), await closedPort(), await closedPort(), await closedPort()];
    const config = {
      ...mosnJson({
        admin,
        listeners: [proxyListener('ingress', port, 'Http1', 'r1')],
        routers: [router('r1', [toCluster('/down', 'gone'), toCluster('/', 'app')])],
        clusters: [cluster('app', [backend.address]), cluster('gone', [`127.0.0.1:${dead}`])],
      }),
      ...metricsTop(metrics),
    };
    const mosn = await startMosnProcess(config, cleanups);
    const ok = 7;
    const down = 3;
    for (let i = 0; i < ok; i++) expect((await get(port, `/ok/${i}`)).status).toBe(200);
    for (let i = 0; i < down; i++) expect((await get(port, '/down')).status).toBeGreaterThanOrEqual(500);

    const r = await fetch(`http://127.0.0.1:${metrics}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parsePrometheusTextFormat(await r.text());

    expect(sample(families, 'downstream_request_total', { listener: 'ingress' })).toBe(ok + down);
    expect(families.find((f) => f.name === 'downstream_request_total')?.type).toBe('COUNTER');
    expect(sample(families, 'downstream_connection_total', { listener: 'ingress' })).toBe(ok + down);
    expect(sample(families, 'upstream_connection_con_fail', { cluster: 'gone' })).toBeGreaterThanOrEqual(down);
    expect(sample(families, 'upstream_connection_con_fail', { cluster: 'app' })).toBeUndefined();
    expect(sample(families, 'mosn_config_version')).toBe(1);
    expect(families.find((f) => f.name === 'mosn_config_version')?.type).toBe('GAUGE');

    // every stat the admin API lists is one sample, with the same value (a histogram's parts are one sample each)
    const stats = await mosn.stats();
    const histogramParts = Object.keys(stats).filter((k) => /\.(bucket\.[a-z0-9_]+|sum|count)$/.test(k)).length;
    const histograms = families.filter((f) => f.type === 'HISTOGRAM').reduce((n, f) => n + f.metrics.length, 0);
    const samples = families.filter((f) => f.type !== 'HISTOGRAM').reduce((n, f) => n + f.metrics.length, 0);
    expect(samples).toBe(Object.keys(stats).length - histogramParts);
    expect(histogramParts > 0 ? histograms : 0).toBe(histograms);
    expect(sample(families, 'upstream_connection_con_fail', { cluster: 'gone' })).toBe(stats['cluster.gone.upstream_cx_connect_failed']);
    expect((await fetch(`http://127.0.0.1:${metrics}/other`)).status).toBe(404);
  });

  it('per cluster and per host: upstream requests, answers by status class, timeouts, and latency histograms (and the listener\'s)', async () => {
    // /slow answers after 60 ms, /late after 2 s (past the route's 1 s timeout), /err with 503, anything else at once
    const backend = () =>
      httpBackend((req, res) =>
        req.resume().on('end', () => {
          if (req.url === '/err') res.writeHead(503).end('no');
          else setTimeout(() => res.end('ok'), req.url === '/slow' ? 60 : req.url === '/late' ? 2000 : 0);
        }),
      );
    const [a, b] = [await backend(), await backend()];
    cleanups.push(a.close, b.close);
    const [admin, port, metrics] = [await closedPort(), await closedPort(), await closedPort()];
    const route = { match: { prefix: '/' }, route: { cluster_name: 'app', timeout: '1s' } };
    const config = {
      ...mosnJson({ admin, listeners: [proxyListener('ingress', port, 'Http1', 'r1')], routers: [router('r1', [route])], clusters: [cluster('app', [a.address, b.address])] }),
      ...metricsTop(metrics),
    };
    await startMosnProcess(config, cleanups);
    const [fast, slow, err, late] = [10, 4, 3, 1];
    for (let i = 0; i < fast; i++) expect((await get(port, `/fast/${i}`)).status).toBe(200);
    for (let i = 0; i < slow; i++) expect((await get(port, '/slow')).status).toBe(200);
    for (let i = 0; i < err; i++) expect((await get(port, '/err')).status).toBe(503);
    for (let i = 0; i < late; i++) expect((await get(port, '/late')).status).toBe(504);
    const text = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
    const families = parsePrometheusTextFormat(text);
    const total = fast + slow + err + late;
    const c = { cluster: 'app' };
    expect(sample(families, 'upstream_request_total', c)).toBe(total);
    expect(sample(families, 'upstream_request_active', c)).toBe(0);
    expect(sample(families, 'mosn_cluster_upstream_rq_2xx', c)).toBe(fast + slow);
    expect(sample(families, 'mosn_cluster_upstream_rq_5xx', c)).toBe(err);
    expect(sample(families, 'upstream_request_timeout', c)).toBe(late);
    // round robin over two hosts: each host's series, and they add up to the cluster's
    const perHost = [a, b].map((h) => sample(families, 'upstream_request_total', { cluster: 'app', host: h.address }) ?? 0);
    expect(perHost.every((n) => n >= total / 2 - 1)).toBe(true);
    expect(perHost[0]! + perHost[1]!).toBe(total);
    // the histogram (the parser above reads histograms without labels only: its lines are read here): every try
    // ended is in it, cumulative; the slow ones are above the 50 ms bucket
    expect(families.find((f) => f.name === 'mosn_cluster_upstream_rq_time')?.type).toBe('HISTOGRAM');
    const line = (suffix: string, labels: string) => Number(new RegExp(`^mosn_cluster_upstream_rq_time_${suffix}\\{${labels}\\} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(line('count', 'cluster="app"')).toBe(total);
    expect(line('bucket', 'cluster="app",le="\\+Inf"')).toBe(total);
    expect(line('bucket', 'cluster="app",le="50"')).toBeLessThanOrEqual(total - slow - late);
    expect(line('bucket', 'cluster="app",le="50"')).toBeGreaterThanOrEqual(fast);
    expect(line('sum', 'cluster="app"')).toBeGreaterThanOrEqual(slow * 60 + late * 1000);
    expect(line('count', `cluster="app",host="${a.address}"`) + line('count', `cluster="app",host="${b.address}"`)).toBe(total);
    // the listener's own histogram: every request, from its head to its end
    expect(new RegExp(`^mosn_listener_downstream_rq_time_count\\{listener="ingress"\\} ${total}$`, 'm').test(text)).toBe(true);
  });

  it('stats_matcher: exclusion_labels and exclusion_keys leave metrics out; a reload changing metrics is warned, the sink unchanged', async () => {
    const backend = await httpBackend((req, res) => req.resume().on('end', () => res.end('ok')));
    cleanups.push(backend.close);
    const [admin, port, metrics] = [await closedPort(), await closedPort(), await closedPort()];
    const config = {
      ...mosnJson({ admin, listeners: [proxyListener('ingress', port, 'Http1', 'r1')], routers: [router('r1', [toCluster('/', 'app')])], clusters: [cluster('app', [backend.address])] }),
      ...metricsTop(metrics, { stats_matcher: { exclusion_labels: ['cluster'], exclusion_keys: ['request_total'] } }),
    };
    const mosn = await startMosnProcess(config, cleanups);
    expect((await get(port, '/')).status).toBe(200);
    const scrape = async () => parsePrometheusTextFormat(await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text());
    const families = await scrape();
    expect(sample(families, 'downstream_request_total', { listener: 'ingress' })).toBeUndefined();
    expect(sample(families, 'downstream_connection_total', { listener: 'ingress' })).toBe(1);
    expect(families.filter((f) => f.metrics.some((m) => m.labels?.cluster !== undefined))).toEqual([]);

    // a reload that changes `metrics` is warned about; the sink keeps its settings until a restart
    mosn.write({ ...config, ...metricsTop(metrics) });
    const { mark } = mosn.hup();
    await mosn.waitLog((l) => l.msg.includes('metrics') && l.msg.includes('until mosn restarts'), mark, 5000, 'the metrics warning');
    expect(sample(await scrape(), 'downstream_request_total', { listener: 'ingress' })).toBeUndefined();
  });

  it('a busy metrics port: `mosn start` fails with MOSN_ERR_METRICS_LISTEN naming the sink, no stack, exit 1', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => taken.close(r)));
    const busy = (taken.address() as net.AddressInfo).port;
    const dir = mkdtempSync(join(tmpdir(), 'mosn-metrics-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'mosn.json');
    const config = {
      ...mosnJson({ admin: await closedPort(), listeners: [proxyListener('l1', await closedPort(), 'Http1', 'r1')], routers: [router('r1', [toCluster('/', 'c1')])], clusters: [cluster('c1', ['127.0.0.1:1'])] }),
      ...metricsTop(busy),
    };
    writeFileSync(file, JSON.stringify(config));
    const r = await runCli(['start', '-c', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`mosn: MOSN_ERR_METRICS_LISTEN: metrics sink (prometheus) cannot listen on 127.0.0.1:${busy}: EADDRINUSE\n`);
    expect(r.stderr).not.toMatch(/\n\s+at |"stack"/);
  });
});
