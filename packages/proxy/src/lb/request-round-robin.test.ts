import { describe, expect, it } from 'vitest';
import { requestRoundRobin } from './request-round-robin.js';
import { countPicks, retryOf, testCluster } from './testing.js';

describe('LB_REQUEST_ROUNDROBIN (MOSN: round robin over the attempts of one request)', () => {
  it('every new request goes to the first healthy host', () => {
    const { hosts, lb } = testCluster(requestRoundRobin, [1, 1, 1]);
    expect(countPicks(lb, hosts, 100)).toEqual([100, 0, 0]);
    hosts[0]!.healthy = false;
    expect(countPicks(lb, hosts, 100, () => ({}))).toEqual([0, 100, 0]);
  });

  it('each retry goes to the next healthy host after the previous attempt\'s, wrapping around', () => {
    const { hosts, lb } = testCluster(requestRoundRobin, [1, 1, 1, 1]);
    hosts[1]!.healthy = false;
    let previousHost = lb.chooseHost()!;
    const attempts = [previousHost];
    for (let i = 0; i < 4; i++) attempts.push((previousHost = lb.chooseHost(retryOf(previousHost))!));
    expect(attempts.map((h) => hosts.indexOf(h))).toEqual([0, 2, 3, 0, 2]);
  });

  it('a retry after a host that has just turned unhealthy still moves on from that host', () => {
    const { hosts, lb } = testCluster(requestRoundRobin, [1, 1, 1, 1]);
    const first = lb.chooseHost()!;
    first.healthy = false;
    expect(lb.chooseHost(retryOf(first))).toBe(hosts[1]);
  });

  it('in panic every host is a candidate, so new requests go to the first host', () => {
    const { hosts, lb } = testCluster(requestRoundRobin, [1, 1, 1]);
    for (const h of hosts) h.healthy = false;
    expect(lb.chooseHost()).toBe(hosts[0]);
    expect(testCluster(requestRoundRobin, []).lb.chooseHost()).toBeUndefined();
  });
});
