import { describe, expect, it } from 'vitest';
import { readHosts } from './hosts.js';
import { readSection } from './testing.js';

const C = 'cluster_manager.clusters[0]';
const simple = { strictDns: false, originalDst: false };
const dns = { strictDns: true, originalDst: false };
const read = (hosts: unknown[], kind = simple) => readSection({ hosts }, C, (c) => readHosts(c, kind));

describe('readHosts', () => {
  it('reads address, weight, hostname and metadata', () => {
    const { result, errors, warnings } = read([
      { address: '10.0.0.1:80', weight: 5, hostname: 'a', metadata: { filter_metadata: { 'mosn.lb': { version: 'v1' } } } },
      { address: '/tmp/up.sock' },
    ]);
    expect([errors, warnings]).toEqual([[], []]);
    expect(result).toEqual([
      { address: { host: '10.0.0.1', port: 80 }, weight: 5, hostname: 'a', metadata: { version: 'v1' } },
      { address: { path: '/tmp/up.sock' }, weight: 1 },
    ]);
  });

  it("clamps weights into 1..128 as MOSN does, warning unless it is MOSN's unset 0", () => {
    const { result, warnings } = read([
      { address: '10.0.0.1:80', weight: 0 },
      { address: '10.0.0.2:80', weight: 500 },
    ]);
    expect(result.map((h) => h.weight)).toEqual([1, 128]);
    expect(warnings).toEqual([`${C}.hosts[1].weight: 500 is outside 1..128; used as 128, as MOSN does`]);
  });

  it('refuses an address that is not ip:port or a socket path, and drops that host', () => {
    const { result, errors } = read([{ address: 'no port here' }, {}]);
    expect(result).toEqual([]);
    expect(errors).toEqual([`${C}.hosts[0].address: expected "ip:port" or a unix socket path, got "no port here"`, `${C}.hosts[1].address: is required: expected a string`]);
  });

  it('STRICT_DNS: names with a port, a name alone on port 80 (a warning), no unix sockets, no port 0', () => {
    const { result, errors, warnings } = read([{ address: 'backend.svc:8080' }, { address: 'backend' }, { address: '/tmp/s.sock' }, { address: 'b:0' }, { address: 'bad name:80' }], dns);
    expect(result.map((h) => h.address)).toEqual([
      { host: 'backend.svc', port: 8080 },
      { host: 'backend', port: 80 },
    ]);
    expect(warnings).toEqual([`${C}.hosts[1].address: "backend" has no port; port 80 is used, as MOSN does`]);
    expect(errors).toEqual([
      `${C}.hosts[2].address: a STRICT_DNS host needs "name:port" (or "ip:port"), got the unix socket "/tmp/s.sock"`,
      `${C}.hosts[3].address: expected a port from 1 to 65535, got 0 in "b:0"`,
      `${C}.hosts[4].address: expected "name:port" (a DNS name, or an IP address, and a port), got "bad name:80"`,
    ]);
  });

  it('ORIGINAL_DST: reads the hosts and warns that they are ignored', () => {
    const { warnings } = read([{ address: '10.0.0.1:80' }], { strictDns: false, originalDst: true });
    expect(warnings).toEqual([`${C}.hosts: ignored: an ORIGINAL_DST cluster (LB_ORIGINAL_DST) makes a host for each destination requests ask for, as in MOSN`]);
  });
});
