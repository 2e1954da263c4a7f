import { createHash } from 'node:crypto';
import type { LoadBalancerFactory } from './load-balancer.js';
import { HealthView } from './panic.js';
import { readSettings, type LbSettings, type RetryLbContext } from './settings.js';

/** Entries of the lookup table: a prime, as Maglev requires (MOSN's `maglev.SmallM`). */
export const MAGLEV_TABLE_SIZE = 65537;

/**
 * Maglev's lookup table (Eisenbud et al., NSDI 2016): entry → index in `addresses`. Each address has its own
 * permutation of the entries, `offset + j * skip (mod size)`, both numbers taken from a SHA-1 of the address;
 * the addresses take turns claiming their next free preferred entry until the table is full. So every address
 * owns a near-equal share, and removing one mostly moves only the entries it owned.
 */
export function maglevTable(addresses: readonly string[], size = MAGLEV_TABLE_SIZE): Int32Array {
  const table = new Int32Array(size).fill(-1);
  const n = addresses.length;
  if (n === 0) return table;
  const next = new Int32Array(n);
  const skip = new Int32Array(n);
  addresses.forEach((a, i) => {
    const digest = createHash('sha1').update(a).digest();
    next[i] = digest.readUInt32BE(0) % size;
    skip[i] = (digest.readUInt32BE(4) % (size - 1)) + 1;
  });
  const step = (e: number, by: number) => (e + by >= size ? e + by - size : e + by);
  for (let filled = 0; ; ) {
    for (let i = 0; i < n; i++) {
      let e = next[i]!;
      while (table[e] !== -1) e = step(e, skip[i]!);
      table[e] = i;
      next[i] = step(e, skip[i]!);
      if (++filled === size) return table;
    }
  }
}

/** A fast 32-bit string hash for the per-pick key: FNV-1a, then murmur3's finalizer to spread the low bits. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The IP of `ip:port` or `[ip6]:port`: source-IP hashing must not depend on the client's port. */
function ipOf(address: string): string {
  if (address.startsWith('[')) {
    const end = address.indexOf(']');
    return end > 0 ? address.slice(1, end) : address;
  }
  const colon = address.indexOf(':');
  return colon > 0 && colon === address.lastIndexOf(':') ? address.slice(0, colon) : address;
}

/**
 * `LB_MAGLEV`: consistent hashing of `ctx.hashKey` (from the route's `hash_policy`), else of the source IP, over a
 * Maglev table of the candidate hosts, rebuilt when their health changes; a uniformly random candidate when the
 * request has neither. A retry (the context names the previous host) goes to the next candidate after it, as in MOSN.
 * Host weights are not used, as in MOSN.
 */
export const maglev: LoadBalancerFactory = (hosts, config?: LbSettings) => {
  const { panicThreshold, random } = readSettings(config);
  const view = new HealthView(hosts, panicThreshold);
  const state = view.memo((candidates) => ({ candidates, table: maglevTable(candidates.map((h) => h.addressText)) }));
  return {
    chooseHost(ctx?: RetryLbContext) {
      const { candidates, table } = state();
      if (candidates.length === 0) return undefined;
      if (ctx?.previousHost) return view.nextCandidate(candidates, hosts.indexOf(ctx.previousHost) + 1);
      const key = ctx?.hashKey ?? (ctx?.sourceAddress !== undefined ? ipOf(ctx.sourceAddress) : undefined);
      if (key === undefined) return candidates[Math.floor(random() * candidates.length)];
      return candidates[table[hashString(key) % table.length]!];
    },
  };
};
