import { describe, expect, it } from 'vitest';
import type { XdsResource } from './ads-client.js';
import { decodeMessage, packAny, type Message } from './proto.js';
import { ResourceStore } from './resource-store.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, messageName, type ResourceType } from './type-urls.js';

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

/** Resources as the ADS client hands them: decoded from the bytes a control plane would send. */
function resources(type: ResourceType, list: Message[]): XdsResource[] {
  return list.map((m) => {
    const message = decodeMessage(messageName(type), packAny(type, m).value);
    return { name: String(message['name'] ?? message['cluster_name']), message };
  });
}

const eds = (name: string) => ({ name, type: 'EDS', eds_cluster_config: { eds_config: { ads: {} } } });
const cla = (name: string, port: number) => ({ cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }] });
const listener = (name: string, route: string) => ({
  name,
  address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
  filter_chains: [{ filters: [{ name: 'hcm', typed_config: packAny(HCM, { stat_prefix: name, rds: { route_config_name: route, config_source: { ads: {} } }, http_filters: [{ name: 'router', typed_config: packAny(ROUTER, {}) }] }) }] }],
});
const routes = (name: string, cluster: string) => ({ name, virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster } }] }] });

/** A store with a clock the test moves. */
function store(timeoutMs = 1000) {
  let now = 0;
  const s = new ResourceStore({ initialFetchTimeoutMs: timeoutMs, now: () => now, reserved: { clusters: new Set(['static']) } });
  return { s, advance: (ms: number) => (now += ms) };
}

/** Propose and commit (as XdsSource does once the apply succeeded); the sections that were applied. */
function accept(s: ResourceStore, type: ResourceType, version: string, list: Message[]) {
  const p = s.propose(type, version, resources(type, list));
  if (!p.ok) throw new Error(p.error);
  const sections = s.sections(p.next);
  s.commit(p.next, sections);
  return sections;
}

const names = (list: readonly Record<string, unknown>[], key = 'name') => list.map((x) => x[key]);

describe('ResourceStore', () => {
  it('warms a new EDS cluster until its endpoints come, and subscribes to them', () => {
    const { s } = store();
    expect(names(accept(s, CLUSTER_TYPE, '1', [eds('a')]).clusters)).toEqual([]);
    expect(s.subscriptions()).toEqual({ routes: [], endpoints: ['a'] });
    const after = accept(s, ENDPOINT_TYPE, '1', [cla('a', 8080)]);
    expect(after.clusters).toHaveLength(1);
    expect(after.clusters[0]!['hosts']).toEqual([expect.objectContaining({ address: '127.0.0.1:8080' })]);
  });

  it('warms a new listener until its routes come; an updated one keeps serving its applied version meanwhile', () => {
    const { s } = store();
    expect(accept(s, LISTENER_TYPE, '1', [listener('l', 'r1')]).listeners).toEqual([]);
    expect(s.subscriptions().routes).toEqual(['r1']);
    const ready = accept(s, ROUTE_TYPE, '1', [routes('r1', 'a')]);
    expect(names(ready.listeners)).toEqual(['l']);
    expect(names(ready.routers, 'router_config_name')).toEqual(['r1']);
    // the listener now names r2, which has not come: r1's version serves, and both are subscribed
    const warming = accept(s, LISTENER_TYPE, '2', [listener('l', 'r2')]);
    expect(names(warming.routers, 'router_config_name')).toEqual(['r1']);
    expect(s.subscriptions().routes).toEqual(['r1', 'r2']);
    const moved = accept(s, ROUTE_TYPE, '2', [routes('r1', 'a'), routes('r2', 'b')]);
    expect(names(moved.routers, 'router_config_name')).toEqual(['r2']);
    expect(s.subscriptions().routes).toEqual(['r2']);
  });

  it('serves what still warms after initial_fetch_timeout: a cluster without hosts, a listener with an empty table', () => {
    const { s, advance } = store(1000);
    accept(s, CLUSTER_TYPE, '1', [eds('a')]);
    accept(s, LISTENER_TYPE, '1', [listener('l', 'r')]);
    expect(s.warmingDeadline()).toBe(1000);
    advance(1000);
    const late = s.sections();
    expect(late.clusters).toEqual([expect.objectContaining({ name: 'a', hosts: [] })]);
    expect(late.routers).toEqual([{ router_config_name: 'r', virtual_hosts: [] }]);
  });

  it('removes a cluster or listener absent from a later response', () => {
    const { s } = store();
    accept(s, CLUSTER_TYPE, '1', [eds('a'), eds('b')]);
    accept(s, ENDPOINT_TYPE, '1', [cla('a', 1), cla('b', 2)]);
    const left = accept(s, CLUSTER_TYPE, '2', [eds('b')]);
    expect(names(left.clusters)).toEqual(['b']);
    expect(s.subscriptions().endpoints).toEqual(['b']);
  });

  it('refuses a response with an error, naming the resource and field, and keeps the accepted state', () => {
    const { s } = store();
    accept(s, CLUSTER_TYPE, '1', [eds('a')]);
    const bad = s.propose(CLUSTER_TYPE, '2', resources(CLUSTER_TYPE, [{ ...eds('a'), lb_policy: 'RING_HASH' }, eds('static')]));
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.error).toContain('Cluster "a".lb_policy: RING_HASH is not supported');
    expect(bad.error).toContain('Cluster "static": a static cluster of this name exists');
    expect(s.versions()).toEqual({ CDS: '1' });
  });
});
