import { describe, expect, it } from 'vitest';
import { chiSquareFit } from './chi-square.js';
import { MAGLEV_TABLE_SIZE, hashString, maglev, maglevTable } from './maglev.js';
import { countPicks, retryOf, testCluster } from './testing.js';

const keys = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);

describe('maglevTable', () => {
  it('fills every entry, each of n addresses owning floor or ceil of size / n', () => {
    const table = maglevTable(Array.from({ length: 7 }, (_, i) => `10.1.0.${i}:80`));
    const owned = new Array<number>(7).fill(0);
    for (const e of table) owned[e]!++;
    expect(table.length).toBe(MAGLEV_TABLE_SIZE);
    for (const n of owned) expect([Math.floor(MAGLEV_TABLE_SIZE / 7), Math.ceil(MAGLEV_TABLE_SIZE / 7)]).toContain(n);
  });

  it('is the same for the same addresses, in every process', () => {
    const a = maglevTable(['10.0.0.1:8080', '10.0.0.2:8080'], 13);
    expect([...a]).toEqual([...maglevTable(['10.0.0.1:8080', '10.0.0.2:8080'], 13)]);
    expect(hashString('user-1')).toBe(hashString('user-1'));
    expect(hashString('user-1')).not.toBe(hashString('user-2'));
  });
});

describe('LB_MAGLEV', () => {
  it('sends a key to the same host every time, and from another balancer over the same hosts', () => {
    const a = testCluster(maglev, new Array<number>(5).fill(1));
    const b = testCluster(maglev, new Array<number>(5).fill(1));
    for (const hashKey of keys.slice(0, 1000)) {
      const h = a.lb.chooseHost({ hashKey })!;
      expect(a.lb.chooseHost({ hashKey })).toBe(h);
      expect(b.lb.chooseHost({ hashKey })!.addressText).toBe(h.addressText);
    }
  });

  it('spreads keys evenly over equal hosts (chi-square, p = 0.001)', () => {
    const { hosts, lb } = testCluster(maglev, new Array<number>(10).fill(1));
    const fit = chiSquareFit(countPicks(lb, hosts, 20_000, (i) => ({ hashKey: `session-${i}` })), new Array<number>(10).fill(1));
    expect(fit.df).toBe(9);
    expect(fit.statistic).toBeLessThan(fit.critical);
  });

  it('when 1 host of 10 turns unhealthy only its keys move (at least 99% of the others stay), to healthy hosts', () => {
    const { hosts, lb } = testCluster(maglev, new Array<number>(10).fill(1));
    const before = keys.map((hashKey) => lb.chooseHost({ hashKey })!);
    const lost = hosts[3]!;
    lost.healthy = false;
    const after = keys.map((hashKey) => lb.chooseHost({ hashKey })!);
    let others = 0;
    let stayed = 0;
    keys.forEach((_, i) => {
      expect(after[i]).not.toBe(lost);
      if (before[i] === lost) return;
      others++;
      if (after[i] === before[i]) stayed++;
    });
    expect(others).toBeGreaterThan(8500);
    expect(stayed / others).toBeGreaterThanOrEqual(0.99);
    expect(stayed / keys.length).toBeGreaterThanOrEqual(0.89);
    lost.healthy = true;
    expect(keys.map((hashKey) => lb.chooseHost({ hashKey }))).toEqual(before);
  });

  it('without a hash key hashes the source IP, whatever the port; the hash key wins over it', () => {
    const { hosts, lb } = testCluster(maglev, new Array<number>(10).fill(1));
    for (let i = 0; i < 50; i++) {
      const ip = `192.168.${i}.7`;
      const h = lb.chooseHost({ sourceAddress: `${ip}:40000` });
      expect(lb.chooseHost({ sourceAddress: `${ip}:51234` })).toBe(h);
      expect(lb.chooseHost({ hashKey: ip, sourceAddress: '10.9.9.9:1' })).toBe(h);
    }
    const v6 = lb.chooseHost({ sourceAddress: '[fd00::1]:40000' });
    expect(lb.chooseHost({ sourceAddress: '[fd00::1]:40001' })).toBe(v6);
    expect(lb.chooseHost({ hashKey: 'fd00::1' })).toBe(v6);
    expect(hosts).toContain(v6);
  });

  it('with neither, a random healthy host, evenly', () => {
    const { hosts, lb } = testCluster(maglev, [1, 1, 1, 1]);
    hosts[1]!.healthy = false;
    const counts = countPicks(lb, hosts, 20_000);
    const fit = chiSquareFit(counts, [1, 0, 1, 1]);
    expect(counts[1]).toBe(0);
    expect(fit.statistic).toBeLessThan(fit.critical);
  });

  it('a retry goes to the next healthy host after the previous one, as in MOSN', () => {
    const { hosts, lb } = testCluster(maglev, [1, 1, 1, 1]);
    hosts[2]!.healthy = false;
    expect(lb.chooseHost(retryOf(hosts[1]!, { hashKey: 'k' }))).toBe(hosts[3]);
    expect(lb.chooseHost(retryOf(hosts[3]!, { hashKey: 'k' }))).toBe(hosts[0]);
  });

  it('an empty cluster has no host', () => {
    expect(testCluster(maglev, []).lb.chooseHost({ hashKey: 'k' })).toBeUndefined();
  });
});
