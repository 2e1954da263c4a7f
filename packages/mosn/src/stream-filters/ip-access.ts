import { isIP } from 'node:net';
import { ipAccessFilterFactory, type IpAccessConfig, type IpAccessRule } from '@mosn/proxy';
import type { ConfigReader } from '../config/config-reader.js';
import type { StreamFilterExtension } from './types.js';

/**
 * `ip_access` (MOSN's ipaccess.Conf): `default_action` (`allow` or `deny`; MOSN allows on anything but `deny`),
 * `header` (read the client's address from it, e.g. `X-Forwarded-For`; empty: the connection's peer), and
 * `ips[]` of `action` (`allow` or `deny`) and `addrs` (IPs and CIDRs, at least one).
 */
export const ipAccessFilter: StreamFilterExtension<IpAccessConfig> = {
  perRoute: false,
  read(c) {
    const defaultAction = c.str('default_action', { oneOf: ['allow', 'deny'] }) ?? 'allow';
    const header = c.str('header') || undefined;
    const rules: IpAccessRule[] = [];
    for (const r of c.objects('ips')) {
      // MOSN: anything but "deny" is an allow list
      const action = r.str('action', { oneOf: ['allow', 'deny'] })?.toLowerCase() === 'deny' ? 'deny' : 'allow';
      const addrs = readAddrs(r);
      r.finish();
      rules.push({ action, addrs });
    }
    c.finish();
    return { rules, defaultAllow: defaultAction.toLowerCase() !== 'deny', ...(header ? { header } : {}) };
  },
  build: (config) => ipAccessFilterFactory(config),
};

/** `addrs`: IPs and CIDRs (`10.0.0.0/8`, `fd00::/8`), each checked. */
function readAddrs(r: ConfigReader): string[] {
  const addrs: string[] = [];
  const entries = r.arr('addrs', { required: true, nonEmpty: true });
  for (const { value, path } of entries) {
    if (typeof value !== 'string' || !isAddressOrCidr(value)) {
      r.problems.error(path, `expected an IP address or a CIDR such as "10.0.0.0/8", got ${JSON.stringify(value)}`);
    } else addrs.push(value);
  }
  return addrs;
}

function isAddressOrCidr(text: string): boolean {
  const slash = text.indexOf('/');
  if (slash < 0) return isIP(text) !== 0;
  const family = isIP(text.slice(0, slash));
  const bitsText = text.slice(slash + 1);
  const bits = Number(bitsText);
  return family !== 0 && /^\d+$/.test(bitsText) && bits <= (family === 4 ? 32 : 128);
}
