import type { Host } from '../upstream/cluster.js';

/**
 * A host's health has two sources: the active health checker (`activeHealthy`) and the outlier detector
 * (`ejected`). Each owns one flag; `host.healthy`, which every load balancer reads, is set to
 * `activeHealthy && !ejected` whenever either changes. The state lives beside the host (a WeakMap keyed by
 * the Host object), so it goes away with the host and two runtimes never share it.
 */
interface HealthRecord {
  activeHealthy: boolean;
  ejected: boolean;
  /** Called after each successful active check (the outlier detector un-ejects on it, as Envoy does). */
  activeSuccessListeners: Set<() => void> | undefined;
}

const records = new WeakMap<Host, HealthRecord>();

function recordOf(host: Host): HealthRecord {
  let r = records.get(host);
  if (r === undefined) {
    r = { activeHealthy: true, ejected: false, activeSuccessListeners: undefined };
    records.set(host, r);
  }
  return r;
}

function apply(host: Host, r: HealthRecord): void {
  host.healthy = r.activeHealthy && !r.ejected;
}

/** Both sources of a host's health, for logs and the admin API. */
export function hostHealthState(host: Host): { readonly activeHealthy: boolean; readonly ejected: boolean } {
  const r = records.get(host);
  return { activeHealthy: r?.activeHealthy ?? true, ejected: r?.ejected ?? false };
}

function set(host: Host, source: 'activeHealthy' | 'ejected', value: boolean): boolean {
  const r = recordOf(host);
  if (r[source] === value) return false;
  r[source] = value;
  apply(host, r);
  return true;
}

/** The active checker's verdict; true when it changed. */
export function setActiveHealthy(host: Host, healthy: boolean): boolean {
  return set(host, 'activeHealthy', healthy);
}

/** The outlier detector's verdict; true when it changed. */
export function setEjected(host: Host, ejected: boolean): boolean {
  return set(host, 'ejected', ejected);
}

/** An active check of `host` succeeded. */
export function reportActiveCheckSuccess(host: Host): void {
  const listeners = records.get(host)?.activeSuccessListeners;
  if (listeners) for (const l of [...listeners]) l();
}

/** Call `listener` after each successful active check of `host`; returns the unsubscribe function. */
export function onActiveCheckSuccess(host: Host, listener: () => void): () => void {
  const r = recordOf(host);
  (r.activeSuccessListeners ??= new Set()).add(listener);
  return () => r.activeSuccessListeners?.delete(listener);
}
