import { describe, expect, it } from 'vitest';
import { localCluster } from '../health/testing.js';
import { listenerCounters } from '../stats/counters.js';
import { Stats } from '../stats/stats.js';
import type { LbContext } from '../lb/load-balancer.js';
import { MAX_CONNECT_ATTEMPTS, UpstreamRetries, maxAttempts } from './attempt.js';

describe('UpstreamRetries', () => {
  it('allows max(3, num_retries + 1) attempts in all', () => {
    expect(MAX_CONNECT_ATTEMPTS).toBe(3);
    expect([0, 1, 2, 3, 5].map(maxAttempts)).toEqual([3, 3, 3, 4, 6]);
  });

  it('retries on hosts not tried yet, counts each retry, holds one max_retries unit until released', () => {
    const stats = new Stats();
    const counters = listenerCounters(stats, 'listener.l.');
    const cluster = localCluster([9101, 9102, 9103, 9104]);
    const retries = new UpstreamRetries(0);
    const [a, b, c] = cluster.hosts;
    expect(retries.mayRetry(cluster, cluster.counters(stats))).toBe(true);
    expect(cluster.resources.retries.used).toBe(1);
    const second = retries.nextHost(a!, cluster, undefined, false, counters);
    expect(second).toBe(b);
    expect(retries.mayRetry(cluster, cluster.counters(stats))).toBe(true);
    expect(retries.nextHost(second!, cluster, undefined, false, counters)).toBe(c);
    // the third attempt is the last
    expect(retries.mayRetry(cluster, cluster.counters(stats))).toBe(false);
    expect(retries.lastHost).toBe(b);
    expect(stats.get('listener.l.upstream_rq_retry')).toBe(2);
    expect(cluster.resources.retries.used).toBe(1);
    retries.release();
    expect(cluster.resources.retries.used).toBe(0);
  });

  it("a retry the cluster's max_retries does not allow is counted as upstream_rq_retry_overflow", () => {
    const stats = new Stats();
    const cluster = localCluster([9101, 9102]);
    const held = new UpstreamRetries(0);
    for (let i = 0; i < cluster.resources.retries.max; i++) expect(new UpstreamRetries(0).mayRetry(cluster, cluster.counters(stats))).toBe(true);
    expect(held.mayRetry(cluster, cluster.counters(stats))).toBe(false);
    expect(stats.get('cluster.test.upstream_rq_retry_overflow')).toBe(1);
  });

  it('a failed connect goes to an untried host only; a resent request may go to any host again', () => {
    const stats = new Stats();
    const counters = listenerCounters(stats, 'listener.l.');
    const cluster = localCluster([9101]);
    const [only] = cluster.hosts;
    expect(new UpstreamRetries(1).nextHost(only!, cluster, undefined, false, counters)).toBeUndefined();
    expect(new UpstreamRetries(1).nextHost(only!, cluster, undefined, true, counters)).toBe(only);
  });

  it("a retry after every host was tried asks the balancer with the request's context, getters included, and the failed host", () => {
    const stats = new Stats();
    const counters = listenerCounters(stats, 'listener.l.');
    const cluster = localCluster([9101]);
    const [only] = cluster.hosts;
    const seen: LbContext[] = [];
    const lb = cluster.lb;
    Object.defineProperty(cluster, 'lb', { value: { chooseHost: (ctx?: LbContext) => (seen.push(ctx!), lb.chooseHost(ctx)) } });
    // a request is its own context: its fields are getters on its prototype
    class Request implements LbContext {
      get hashKey(): string {
        return 'k-1';
      }
      get sourceAddress(): string {
        return '10.0.0.9';
      }
    }
    const next = new UpstreamRetries(1).nextHost(only!, cluster, new Request(), true, counters);
    expect(next).toBe(only);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ hashKey: 'k-1', sourceAddress: '10.0.0.9', previousHost: only });
  });
});
