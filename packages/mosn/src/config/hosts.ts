import { isIP } from 'node:net';
import { parseAddress, type Address, type HostConfig } from '@mosn/proxy';
import type { ConfigReader } from './config-reader.js';
import { readMetadata } from './lb.js';

const DNS_NAME = /^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/**
 * A cluster's `hosts`: `address` (`ip:port` or a unix socket path; for STRICT_DNS, a name to resolve), `weight`
 * (clamped into 1..128, as MOSN), `hostname`, `metadata`. An ORIGINAL_DST cluster's are read and ignored.
 * `tls_disable`: this host is dialed without the cluster's TLS (as MOSN).
 */
export function readHosts(c: ConfigReader, kind: { strictDns: boolean; originalDst: boolean; tls?: boolean }): HostConfig[] {
  const hosts: HostConfig[] = [];
  const hostReaders = c.objects('hosts');
  if (kind.originalDst && hostReaders.length > 0) {
    c.problems.warn(c.at('hosts'), 'ignored: an ORIGINAL_DST cluster (LB_ORIGINAL_DST) makes a host for each destination requests ask for, as in MOSN');
  }
  for (const h of hostReaders) {
    const text = h.str('address', { required: true });
    const address = text === undefined ? undefined : kind.strictDns ? readDnsHostAddress(h, text) : parseAddress(text);
    if (text !== undefined && !address && !kind.strictDns) h.problems.error(h.at('address'), `expected "ip:port" or a unix socket path, got "${text}"`);
    // MOSN clamps a weight into 1..128 (0, the default, becomes 1).
    let weight = h.num('weight', { min: 0 }) ?? 1;
    if (weight < 1 || weight > 128) {
      const clamped = Math.min(128, Math.max(1, weight));
      if (weight !== 0) h.problems.warn(h.at('weight'), `${weight} is outside 1..128; used as ${clamped}, as MOSN does`);
      weight = clamped;
    }
    const hostname = h.str('hostname');
    const metadata = readMetadata(h, 'metadata');
    // Without TLS on the cluster there is nothing to disable.
    const tlsDisable = (h.bool('tls_disable') ?? false) && kind.tls === true;
    h.finish();
    if (address) hosts.push({ address, weight, ...(hostname !== undefined ? { hostname } : {}), ...(metadata ? { metadata } : {}), ...(tlsDisable ? { tlsDisable } : {}) });
  }
  return hosts;
}

/** A STRICT_DNS host's `address`: `name:port`, `ip:port`, or a name alone (port 80, as MOSN). */
function readDnsHostAddress(h: ConfigReader, text: string): Address | undefined {
  const parsed = parseAddress(text);
  if (parsed && 'path' in parsed) {
    h.problems.error(h.at('address'), `a STRICT_DNS host needs "name:port" (or "ip:port"), got the unix socket "${text}"`);
    return undefined;
  }
  let address = parsed;
  if (!address && (DNS_NAME.test(text) || isIP(text) !== 0)) {
    h.problems.warn(h.at('address'), `"${text}" has no port; port 80 is used, as MOSN does`);
    address = { host: text, port: 80 };
  }
  if (!address || !('host' in address) || (isIP(address.host) === 0 && !DNS_NAME.test(address.host))) {
    h.problems.error(h.at('address'), `expected "name:port" (a DNS name, or an IP address, and a port), got "${text}"`);
    return undefined;
  }
  if (address.port === 0) {
    h.problems.error(h.at('address'), `expected a port from 1 to 65535, got 0 in "${text}"`);
    return undefined;
  }
  return address;
}
