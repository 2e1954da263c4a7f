import { isDeepStrictEqual } from 'node:util';
import { formatAddress } from '@mosn/proxy';
import type { ClusterSpec, MosnConfig } from '../config/types.js';

/**
 * One step of applying a config: what happens to one cluster, router or listener. A section whose MOSN JSON
 * (`source`) did not change gets no step at all.
 * - cluster `add`; `hosts`: only its host list changed, updated in place (pools, health and slow start of
 *   unchanged hosts kept); `rebuild`: anything else changed, a new cluster takes the new requests while the old
 *   one's pools drain; `remove`: the old one drains.
 * - router `add`, `update` (the table is swapped: a request is routed by the old or by the new one), `remove`.
 * - listener `add` (bound), `update` (new connections get the new filter chain, open ones keep theirs), `remove`
 *   (stops accepting at once, open connections drain). A changed address is `remove` then `add`.
 */
export type Change =
  | { readonly kind: 'cluster'; readonly op: 'add' | 'hosts' | 'rebuild' | 'remove'; readonly name: string }
  | { readonly kind: 'router'; readonly op: 'add' | 'update' | 'remove'; readonly name: string }
  | { readonly kind: 'listener'; readonly op: 'add' | 'update' | 'remove'; readonly name: string };

/**
 * The steps that turn the running config `from` (undefined: nothing runs yet) into `to`, in the order they are
 * carried out: clusters that requests may be sent to first, then routers that name them, then listeners (removed
 * ones first, so that an address can move to another listener); routers and clusters nothing uses any more last.
 */
export function planChanges(from: MosnConfig | undefined, to: MosnConfig): Change[] {
  const clusters = diffByName(from?.clusters ?? [], to.clusters);
  const routers = diffByName(from?.routers ?? [], to.routers);
  const listeners = diffByName(from?.listeners ?? [], to.listeners);
  const steps: Change[] = [];
  for (const c of clusters.added) steps.push({ kind: 'cluster', op: 'add', name: c.name });
  for (const [old, next] of clusters.changed) steps.push({ kind: 'cluster', op: onlyHostsChanged(old, next) ? 'hosts' : 'rebuild', name: next.name });
  for (const r of routers.added) steps.push({ kind: 'router', op: 'add', name: r.name });
  for (const [, next] of routers.changed) steps.push({ kind: 'router', op: 'update', name: next.name });
  const moved = listeners.changed.filter(([old, next]) => formatAddress(old.address) !== formatAddress(next.address));
  for (const l of listeners.removed) steps.push({ kind: 'listener', op: 'remove', name: l.name });
  for (const [old] of moved) steps.push({ kind: 'listener', op: 'remove', name: old.name });
  for (const [old, next] of listeners.changed) if (!moved.some(([m]) => m === old)) steps.push({ kind: 'listener', op: 'update', name: next.name });
  for (const [, next] of moved) steps.push({ kind: 'listener', op: 'add', name: next.name });
  for (const l of listeners.added) steps.push({ kind: 'listener', op: 'add', name: l.name });
  for (const r of routers.removed) steps.push({ kind: 'router', op: 'remove', name: r.name });
  for (const c of clusters.removed) steps.push({ kind: 'cluster', op: 'remove', name: c.name });
  return steps;
}

interface Named {
  readonly name: string;
  readonly source: unknown;
  /** Certificates and keys as read from their files: a rotated file changes the section though its JSON did not. */
  readonly tls?: unknown;
}

function diffByName<T extends Named>(from: readonly T[], to: readonly T[]): { added: T[]; removed: T[]; changed: Array<[T, T]> } {
  const old = new Map(from.map((x) => [x.name, x]));
  const next = new Map(to.map((x) => [x.name, x]));
  const added = to.filter((x) => !old.has(x.name));
  const removed = from.filter((x) => !next.has(x.name));
  const changed: Array<[T, T]> = [];
  for (const x of to) {
    const o = old.get(x.name);
    if (o && (!isDeepStrictEqual(o.source, x.source) || !isDeepStrictEqual(o.tls, x.tls))) changed.push([o, x]);
  }
  return { added, removed, changed };
}

/** True when two versions of a cluster differ in their static `hosts` only (not for DNS or original-destination clusters). */
function onlyHostsChanged(old: ClusterSpec, next: ClusterSpec): boolean {
  if (old.dns || next.dns || old.originalDst || next.originalDst || !isDeepStrictEqual(old.tls, next.tls)) return false;
  return isDeepStrictEqual(withoutHosts(old.source), withoutHosts(next.source));
}

function withoutHosts(source: unknown): unknown {
  if (source === null || typeof source !== 'object' || Array.isArray(source)) return source;
  return Object.fromEntries(Object.entries(source).filter(([k]) => k.toLowerCase() !== 'hosts'));
}

/** For tests and logs: `cluster add c1`, `listener update l`. */
export function describeChange(c: Change): string {
  return `${c.kind} ${c.op} ${c.name}`;
}
