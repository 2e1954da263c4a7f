import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DNS_REFRESH_MS, DEFAULT_DNS_TIMEOUT_MS } from '@mosn/proxy';
import { readStrictDns } from './dns.js';
import { readSection } from './testing.js';

const C = 'cluster_manager.clusters[0]';
const read = (cluster: Record<string, unknown>) => readSection(cluster, C, readStrictDns);

function resolvConf(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'mosn-dns-')), 'resolv.conf');
  writeFileSync(file, text);
  return file;
}

describe('readStrictDns', () => {
  it('has MOSN defaults', () => {
    const { result, errors } = read({});
    expect(errors).toEqual([]);
    expect(result).toEqual({ refreshMs: DEFAULT_DNS_REFRESH_MS, respectTtl: false, family: 'V4_ONLY', resolver: { servers: [], search: [], ndots: 0, timeoutMs: DEFAULT_DNS_TIMEOUT_MS, attempts: 1 } });
  });

  it('reads dns_resolvers: servers with the port (a string, as MOSN writes it), IPv6 in brackets, search, ndots, timeout in seconds', () => {
    const { result, errors } = read({
      dns_refresh_rate: '2s',
      respect_dns_ttl: true,
      dns_lookup_family: 'v6_only',
      dns_resolvers: { servers: ['10.0.0.1', '::1'], port: '5353', search: ['svc.local'], ndots: 2, timeout: 3, attempts: 4 },
    });
    expect(errors).toEqual([]);
    expect(result).toEqual({
      refreshMs: 2000,
      respectTtl: true,
      family: 'V6_ONLY',
      resolver: { servers: ['10.0.0.1:5353', '[::1]:5353'], search: ['svc.local'], ndots: 2, timeoutMs: 3000, attempts: 4 },
    });
  });

  it('reads a resolv.conf (nameserver, search, options) with its own defaults', () => {
    const file = resolvConf('# comment\nnameserver 10.1.1.1\nnameserver fe80::1\nsearch a.local b.local\noptions ndots:3 timeout:2\n');
    const { result, errors } = read({ dns_resolver_file: file, dns_resolver_port: 54 });
    expect(errors).toEqual([]);
    expect(result.resolver).toEqual({ servers: ['10.1.1.1:54', '[fe80::1]:54'], search: ['a.local', 'b.local'], ndots: 3, timeoutMs: 2000, attempts: 2 });
  });

  it('reports bad values at their paths', () => {
    const empty = resolvConf('search x\n');
    const { errors } = read({ dns_refresh_rate: '10ms', dns_resolvers: { servers: ['dns.local'], port: 'x' } });
    expect(errors).toEqual([
      `${C}.dns_refresh_rate: expected at least 100ms (or 0 for the default 5s), got 10ms`,
      `${C}.dns_resolvers.port: expected a port from 1 to 65535 (a number or a string such as "53"), got "x"`,
      `${C}.dns_resolvers.servers[0]: expected the IP address of a DNS server, got "dns.local"`,
    ]);
    expect(read({ dns_resolver_file: empty }).errors).toEqual([`${C}.dns_resolver_file: "${empty}" lists no nameserver`]);
    expect(read({ dns_resolver_file: '/nonexistent/resolv.conf' }).errors).toEqual([expect.stringMatching(/^cluster_manager\.clusters\[0\]\.dns_resolver_file: cannot read "\/nonexistent\/resolv.conf": /)]);
  });

  it('warns that dns_resolver_file is ignored when servers are listed (MOSN uses the list)', () => {
    const { result, warnings } = read({ dns_resolvers: { servers: ['10.0.0.1'] }, dns_resolver_file: '/etc/resolv.conf' });
    expect(result.resolver.servers).toEqual(['10.0.0.1:53']);
    expect(warnings).toEqual([`${C}.dns_resolver_file: ignored: dns_resolvers.servers is set, and MOSN then uses it`]);
  });
});
