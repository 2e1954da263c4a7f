import { describe, expect, it } from 'vitest';
import { proxyTotals, statsDump, statsGlob, statsUnder } from './stats.js';
import type { AdminRequest, AdminSource } from './types.js';

const STATS = {
  'cluster.c.upstream_rq_total': 3,
  'config.version': 2,
  'listener.0.0.0.0_80.downstream_rq_total': 4,
  'listener.egress.downstream_cx_total': 1,
  'listener.egress.downstream_rq_total': 5,
  'listener.egress2.downstream_rq_total': 7,
};

const source = { config: () => ({}), statuses: () => ({}), stats: () => STATS, stage: () => 'running', version: () => 1, live: { listeners: () => [], clusters: () => [], stat: () => 0 } } satisfies AdminSource;
const get = (query: string, method = 'GET'): AdminRequest => ({ method, query: new URLSearchParams(query), body: () => Promise.resolve('') });

describe('/api/v1/stats', () => {
  it('?key=<name>: the stats under that name only (not a longer name that starts the same)', () => {
    expect(statsUnder(STATS, 'listener.egress')).toEqual({ 'listener.egress.downstream_cx_total': 1, 'listener.egress.downstream_rq_total': 5 });
    expect(statsUnder(STATS, 'config.version')).toEqual({ 'config.version': 2 });
    expect(JSON.parse(statsDump(get('key=cluster.c'), source).body)).toEqual({ 'cluster.c.upstream_rq_total': 3 });
  });

  it('every stat with no parameter; MOSN`s answers for an unknown key, two parameters and POST', () => {
    expect(JSON.parse(statsDump(get(''), source).body)).toEqual(STATS);
    expect(statsDump(get('key=listener.nope'), source)).toMatchObject({ status: 200, body: 'no metrics key: listener.nope' });
    expect(statsDump(get('key='), source)).toMatchObject({ status: 200, body: 'no metrics key: ' });
    expect(statsDump(get('key=a&x=1'), source)).toMatchObject({ status: 400, body: 'only support one parameter' });
    expect(statsDump(get('', 'POST'), source).status).toBe(405);
  });
});

describe('/api/v1/stats_glob', () => {
  it('the listeners` stats summed by stat name (listener names with dots too), as `stat:value` lines', () => {
    expect(proxyTotals(STATS)).toEqual({ downstream_cx_total: 1, downstream_rq_total: 16 });
    // per service and method (dubbo_stream, grpc_metric): not proxy totals
    const perMethod = { 'listener.egress.dubbo.org.demo.S.m.request_total': 9, 'listener.egress.grpc.e2e.Echo.Unary.response_fail_total': 2 };
    expect(proxyTotals({ ...STATS, ...perMethod })).toEqual({ downstream_cx_total: 1, downstream_rq_total: 16 });
    expect(statsGlob(get(''), source)).toMatchObject({ status: 200, body: 'downstream_cx_total:1\ndownstream_rq_total:16\n' });
    expect(statsGlob(get('', 'POST'), source).status).toBe(405);
  });
});
