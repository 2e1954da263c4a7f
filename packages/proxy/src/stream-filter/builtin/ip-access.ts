import { BlockList, isIP } from 'node:net';
import type { HeaderMap } from '@mosn/stream';
import type { StreamFilter, StreamFilterFactory, StreamFilterHandler, StreamFilterStatus } from '../api.js';

/** One `ips[]` entry of MOSN's `ip_access`: addresses and CIDRs that `allow` or `deny`. */
export interface IpAccessRule {
  readonly action: 'allow' | 'deny';
  /** IPs and CIDRs, as given (for messages and the config dump). */
  readonly addrs: readonly string[];
}

/** MOSN's `ip_access` config. */
export interface IpAccessConfig {
  readonly rules: readonly IpAccessRule[];
  /** `default_action`: what an address no rule decides gets (MOSN: anything but "deny" allows). */
  readonly defaultAllow: boolean;
  /** Read the client's address from this request header (e.g. `x-forwarded-for`) when set; else the connection's. */
  readonly header?: string;
}

/**
 * `ip_access` (pkg/filter/stream/ipaccess), before the route: the rules are tried in order; an `allow` rule that
 * holds the address lets the request in, a `deny` rule that holds it answers 403; an address no rule decides
 * gets `default_action`. The address is the `header`'s value when the request has one (the first of a
 * comma-separated list, i.e. the client of `X-Forwarded-For`), else the downstream connection's peer.
 */
export function ipAccessFilterFactory(config: IpAccessConfig): StreamFilterFactory<IpAccessConfig> {
  const lists = config.rules.map((r) => ({ deny: r.action === 'deny', list: blockListOf(r.addrs) }));
  /** Decisions by address: BlockList.check of a string costs microseconds, a lookup here nanoseconds. */
  const decided = new Map<string, boolean>();
  const allows = (address: string | undefined): boolean => {
    if (address === undefined) return config.defaultAllow;
    let allowed = decided.get(address);
    if (allowed === undefined) {
      allowed = decide(lists, address, config.defaultAllow);
      // bounded: a flood of distinct forwarded-for values only makes the cache start over
      if (decided.size >= MAX_DECISIONS) decided.clear();
      decided.set(address, allowed);
    }
    return allowed;
  };
  const filter: StreamFilter = {
    onRequestHeaders(h: StreamFilterHandler, headers: HeaderMap): StreamFilterStatus {
      if (lists.length === 0) return config.defaultAllow ? 'continue' : reject(h);
      return allows(clientAddress(config.header, headers, h.downstreamAddress)) ? 'continue' : reject(h);
    },
  };
  // the filter keeps no state of a request: one object serves them all
  return { name: 'ip_access', phase: 'before_route', config, createFilter: () => filter };
}

const MAX_DECISIONS = 4096;

/** The first list that holds the address decides; an address no list holds (or that cannot be read) gets the default. */
function decide(lists: ReadonlyArray<{ deny: boolean; list: BlockList }>, address: string, defaultAllow: boolean): boolean {
  const family = isIP(address);
  // an address that cannot be read is decided by no rule (MOSN logs it and goes on)
  if (family === 0) return defaultAllow;
  const type = family === 6 ? 'ipv6' : 'ipv4';
  for (const { deny, list } of lists) if (list.check(address, type)) return !deny;
  return defaultAllow;
}

function reject(h: StreamFilterHandler): 'stop' {
  h.sendLocalReply(403, 'denied by ip_access');
  return 'stop';
}

function clientAddress(header: string | undefined, headers: HeaderMap, peer: string | undefined): string | undefined {
  let address: string | undefined;
  if (header !== undefined) {
    const v = headers.get(header);
    if (v !== undefined && v !== '') address = v.split(',')[0]!.trim();
  }
  address ??= peer;
  // an IPv4 client of a dual-stack socket
  return address?.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** A BlockList of IPs and CIDRs (already checked by the config reader: a bad one throws). */
export function blockListOf(addrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const a of addrs) {
    const slash = a.indexOf('/');
    if (slash < 0) list.addAddress(a, isIP(a) === 6 ? 'ipv6' : 'ipv4');
    else {
      const ip = a.slice(0, slash);
      list.addSubnet(ip, Number(a.slice(slash + 1)), isIP(ip) === 6 ? 'ipv6' : 'ipv4');
    }
  }
  return list;
}
