import { describe, expect, it } from 'vitest';
import { roundRobin } from './round-robin.js';
import { HealthView, candidatesWithPanic } from './panic.js';
import { testCluster } from './testing.js';

const hostsOf = (n: number) => testCluster(roundRobin, new Array<number>(n).fill(1)).hosts;

describe('candidatesWithPanic (Envoy: below the threshold share of healthy hosts, spread over all)', () => {
  it('all healthy: the host array itself', () => {
    const hosts = hostsOf(4);
    expect(candidatesWithPanic(hosts)).toBe(hosts);
  });

  it('at or above the threshold: only the healthy hosts', () => {
    const hosts = hostsOf(4);
    hosts[0]!.healthy = false;
    hosts[1]!.healthy = false;
    expect(candidatesWithPanic(hosts, 50)).toEqual([hosts[2], hosts[3]]);
  });

  it('below the threshold: every host (panic)', () => {
    const hosts = hostsOf(4);
    for (const h of hosts.slice(0, 3)) h.healthy = false;
    expect(candidatesWithPanic(hosts, 50)).toBe(hosts);
    expect(candidatesWithPanic(hosts, 25)).toEqual([hosts[3]]);
    hosts[3]!.healthy = false;
    expect(candidatesWithPanic(hosts)).toBe(hosts);
  });

  it('threshold 0 turns panic off; 100 panics at the first unhealthy host', () => {
    const hosts = hostsOf(3);
    for (const h of hosts) h.healthy = false;
    expect(candidatesWithPanic(hosts, 0)).toEqual([]);
    for (const h of hosts) h.healthy = true;
    hosts[1]!.healthy = false;
    expect(candidatesWithPanic(hosts, 100)).toBe(hosts);
    expect(candidatesWithPanic([], 50)).toEqual([]);
  });
});

describe('HealthView', () => {
  it('recomputes, and bumps its version, only when a health flag changed', () => {
    const hosts = hostsOf(4);
    const view = new HealthView(hosts);
    let builds = 0;
    const state = view.memo((c) => ({ c, n: ++builds }));
    expect(state().c).toBe(hosts);
    expect(state().n).toBe(1);
    hosts[2]!.healthy = false;
    expect(state()).toEqual({ c: [hosts[0], hosts[1], hosts[3]], n: 2 });
    expect(view.version).toBe(1);
    const before = view.current();
    expect(view.current()).toBe(before);
    expect(state().n).toBe(2);
  });

  it('nextCandidate walks the host list from a position, skipping hosts that are not candidates', () => {
    const hosts = hostsOf(4);
    const view = new HealthView(hosts);
    hosts[2]!.healthy = false;
    const c = view.current();
    expect(view.nextCandidate(c, 2)).toBe(hosts[3]);
    expect(view.nextCandidate(c, 4)).toBe(hosts[0]);
    for (const h of hosts.slice(0, 3)) h.healthy = false; // panic: every host is a candidate
    expect(view.nextCandidate(view.current(), 2)).toBe(hosts[2]);
  });
});
