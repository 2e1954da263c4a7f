import type { Message } from '../proto.js';
import type { ConvertContext, MosnJson } from './context.js';
import { isSet, numberValue, obj, objects, str } from './fields.js';
import { endpointAddress, type AddressKind } from './endpoint-address.js';
import { structStrings } from './struct.js';
import { integerWeights } from './endpoint-weights.js';

/**
 * An EDS `ClusterLoadAssignment` → the hosts of its cluster, as MOSN's hosts reader takes them
 * (`{ address, weight, hostname?, metadata? }`). See docs/xds-clusters.md. In short:
 *
 * - **All localities** are taken (MOSN's own converter keeps only the last one).
 * - **Health**: endpoints whose `health_status` is UNHEALTHY, DRAINING or TIMEOUT take no new requests: they are
 *   left out. DEGRADED endpoints are used only when their priority has no HEALTHY (or UNKNOWN) one.
 * - **Priorities**: only the lowest `priority` that has an endpoint not left out is used. Envoy also spills part
 *   of the traffic over to the next priority when fewer than 1/overprovisioning_factor of a priority's hosts are
 *   healthy; mosn-ts does not (a warning when there are several priorities).
 * - **Weights**: when the localities carry `load_balancing_weight`, a host's weight is its locality's effective
 *   weight (the weight × min(1, overprovisioning_factor × the locality's share of usable hosts), as Envoy) ×
 *   its own weight / the sum of its locality's usable endpoint weights; a locality without a weight then gets
 *   nothing, as in Envoy. Else the endpoint's `load_balancing_weight` (default 1). Either way scaled to integers
 *   in 1..128 (MOSN's range), keeping the ratios as well as integers allow.
 */
export function convertClusterLoadAssignment(cla: Message, ctx: ConvertContext): MosnJson[] {
  return convertEndpoints(cla, ctx, 'ip');
}

const LEFT_OUT = new Set(['UNHEALTHY', 'DRAINING', 'TIMEOUT']);
/** Envoy's default overprovisioning factor, 140 (%). */
const DEFAULT_OVERPROVISIONING = 140;

interface Candidate {
  readonly host: MosnJson;
  readonly weight: number;
  readonly status: string;
}

interface Locality {
  readonly priority: number;
  readonly weight: number | undefined;
  readonly path: ConvertContext;
  readonly endpoints: Candidate[];
  /** Every endpoint of the locality, usable or not (Envoy's share of healthy hosts counts them all). */
  total: number;
}

/**
 * The endpoints of a ClusterLoadAssignment (EDS) or of a cluster's inline `load_assignment` (STATIC: IP
 * addresses; STRICT_DNS, LOGICAL_DNS: names to resolve) → MOSN hosts.
 */
export function convertEndpoints(cla: Message, ctx: ConvertContext, kind: AddressKind): MosnJson[] {
  const overprovisioning = convertPolicy(obj(cla.policy), ctx.at('policy'));
  if (Object.keys(obj(cla.named_endpoints)).length > 0) ctx.at('named_endpoints').error('named endpoints are not supported by mosn-ts (nor by Envoy)');
  const unused = new Map<string, string>();
  const localities: Locality[] = [];
  objects(cla.endpoints).forEach((l, i) => {
    const at = ctx.at(`endpoints[${i}]`);
    if (isSet(l.load_balancer_endpoints) || isSet(l.leds_cluster_locality_config)) {
      at.at(l.lb_config as string).error('endpoints from LEDS or load_balancer_endpoints are not supported by mosn-ts (nor by Envoy): give them in lb_endpoints');
    }
    const weight = isSet(l.load_balancing_weight) ? numberValue(l.load_balancing_weight) : undefined;
    const locality: Locality = { priority: typeof l.priority === 'number' ? l.priority : 0, weight, path: at, endpoints: [], total: 0 };
    objects(l.lb_endpoints).forEach((e, j) => {
      locality.total++;
      const c = convertEndpoint(e, at.at(`lb_endpoints[${j}]`), kind, unused);
      if (c) locality.endpoints.push(c);
    });
    localities.push(locality);
  });
  for (const [field, what] of unused) ctx.warn(`${field} of endpoints: ${what}`);
  return chooseHosts(localities, overprovisioning / 100, ctx);
}

/** `policy`: the overprovisioning factor (percent) Envoy weighs localities with; the rest is warned about. */
function convertPolicy(p: Message, ctx: ConvertContext): number {
  if (objects(p.drop_overloads).length > 0) ctx.at('drop_overloads').warn('dropping a share of requests (drop_overloads) is not supported by mosn-ts; no request is dropped');
  if (isSet(p.endpoint_stale_after)) ctx.at('endpoint_stale_after').warn('not supported by mosn-ts: endpoints stay until the next update');
  if (p.weighted_priority_health === true) ctx.at('weighted_priority_health').warn('not supported by mosn-ts: priorities are not weighed by health');
  const factor = isSet(p.overprovisioning_factor) ? numberValue(p.overprovisioning_factor) : undefined;
  return factor !== undefined && factor > 0 ? factor : DEFAULT_OVERPROVISIONING;
}

/** One LbEndpoint → a host candidate; undefined when it cannot be used (an error) or is left out by health. */
function convertEndpoint(e: Message, ctx: ConvertContext, kind: AddressKind, unused: Map<string, string>): Candidate | undefined {
  if (e.host_identifier === 'endpoint_name') {
    ctx.at('endpoint_name').error('endpoints named by reference are not supported by mosn-ts (nor by Envoy)');
    return undefined;
  }
  const endpoint = obj(e.endpoint);
  const address = endpointAddress(endpoint.address, kind, ctx.at('endpoint.address'));
  if (isSet(endpoint.health_check_config)) unused.set('endpoint.health_check_config', 'a health check port or address of its own is not supported by mosn-ts; hosts are checked at their address');
  if (Array.isArray(endpoint.additional_addresses) && endpoint.additional_addresses.length > 0) unused.set('endpoint.additional_addresses', 'not supported by mosn-ts; only address is dialed');
  const metadata = obj(e.metadata);
  const filterMetadata = obj(metadata.filter_metadata);
  const labels = isSet(filterMetadata['envoy.lb']) ? structStrings(filterMetadata['envoy.lb'], ctx.at('metadata.filter_metadata["envoy.lb"]')) : undefined;
  // other filter_metadata and typed_filter_metadata: no effect (data for filters mosn-ts does not have)
  const weight = isSet(e.load_balancing_weight) ? (numberValue(e.load_balancing_weight) ?? 1) : 1;
  if (weight < 1) ctx.at('load_balancing_weight').error('must be at least 1');
  const status = str(e.health_status) || 'UNKNOWN';
  if (address === undefined || weight < 1) return undefined;
  const hostname = str(endpoint.hostname) || undefined;
  const host: MosnJson = {
    address,
    ...(hostname !== undefined ? { hostname } : {}),
    ...(labels ? { metadata: { filter_metadata: { 'mosn.lb': labels } } } : {}),
  };
  return { host, weight, status };
}

/** The priority used, its usable endpoints, and their integer weights. */
function chooseHosts(localities: readonly Locality[], overprovisioning: number, ctx: ConvertContext): MosnJson[] {
  const usable = (c: Candidate) => !LEFT_OUT.has(c.status);
  const priorities = [...new Set(localities.filter((l) => l.endpoints.length > 0).map((l) => l.priority))].sort((a, b) => a - b);
  const priority = priorities.find((p) => localities.some((l) => l.priority === p && l.endpoints.some(usable)));
  if (priority === undefined) {
    if (priorities.length > 0) ctx.warn('no endpoint is usable (every one is UNHEALTHY, DRAINING or TIMEOUT): the cluster has no host. Envoy would still send traffic to them (panic mode)');
    return [];
  }
  if (priorities.length > 1) {
    ctx.warn(`endpoints of ${priorities.length} priorities: only priority ${priority} is used (the lowest with a usable endpoint). Envoy also sends part of the traffic to the next priority when too few hosts of this one are healthy; mosn-ts does not`);
  }
  const level = localities.filter((l) => l.priority === priority);
  // DEGRADED hosts take traffic only when the priority has no healthy one
  const healthy = (c: Candidate) => usable(c) && c.status !== 'DEGRADED';
  const take = level.some((l) => l.endpoints.some(healthy)) ? healthy : usable;
  const byLocality = level.some((l) => l.weight !== undefined);
  const hosts: MosnJson[] = [];
  const exact: number[] = [];
  for (const l of level) {
    const chosen = l.endpoints.filter(take);
    if (chosen.length === 0) continue;
    if (!byLocality) {
      for (const c of chosen) {
        hosts.push(c.host);
        exact.push(c.weight);
      }
      continue;
    }
    if (l.weight === undefined) {
      l.path.warn('no load_balancing_weight while other localities of its priority have one: it gets no traffic, as in Envoy (its endpoints are left out)');
      continue;
    }
    const effective = l.weight * Math.min(1, (overprovisioning * chosen.length) / l.total);
    const sum = chosen.reduce((s, c) => s + c.weight, 0);
    for (const c of chosen) {
      hosts.push(c.host);
      exact.push((effective * c.weight) / sum);
    }
  }
  const { weights, approximate } = integerWeights(exact);
  if (approximate) ctx.warn('host weights scaled to MOSN\'s 1..128: their ratios are approximate');
  return hosts.map((h, i) => ({ address: h.address, weight: weights[i], ...h }));
}
