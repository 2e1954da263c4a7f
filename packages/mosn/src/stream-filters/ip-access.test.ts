import { describe, expect, it } from 'vitest';
import { readSection } from '../config/testing.js';
import { ipAccessFilter } from './ip-access.js';

const read = (json: Record<string, unknown>) => readSection(json, 'f.config', (r) => ipAccessFilter.read(r));

describe('ip_access reader', () => {
  it("reads MOSN's example config (examples/codes/filter/ipaccess)", () => {
    const { result, errors, warnings } = read({ header: '', default_action: 'allow', ips: [{ action: 'deny', addrs: ['127.0.0.1'] }] });
    expect([errors, warnings]).toEqual([[], []]);
    expect(result).toEqual({ rules: [{ action: 'deny', addrs: ['127.0.0.1'] }], defaultAllow: true });
  });

  it('reads CIDRs of both families, the header, and default_action deny', () => {
    const { result, errors } = read({ header: 'X-Forwarded-For', default_action: 'deny', ips: [{ action: 'allow', addrs: ['10.0.0.0/8', 'fd00::/8', '::1'] }] });
    expect(errors).toEqual([]);
    expect(result).toEqual({ rules: [{ action: 'allow', addrs: ['10.0.0.0/8', 'fd00::/8', '::1'] }], defaultAllow: false, header: 'X-Forwarded-For' });
  });

  it('reports bad addresses and actions with their paths', () => {
    const { errors } = read({ default_action: 'maybe', ips: [{ action: 'deny', addrs: ['10.0.0.0/33', 'localhost', 7] }, { action: 'allow', addrs: [] }] });
    expect(errors).toEqual([
      'f.config.default_action: "maybe" is not one of: allow, deny',
      'f.config.ips[0].addrs[0]: expected an IP address or a CIDR such as "10.0.0.0/8", got "10.0.0.0/33"',
      'f.config.ips[0].addrs[1]: expected an IP address or a CIDR such as "10.0.0.0/8", got "localhost"',
      'f.config.ips[0].addrs[2]: expected an IP address or a CIDR such as "10.0.0.0/8", got 7',
      'f.config.ips[1].addrs: expected a non-empty array',
    ]);
  });
});
