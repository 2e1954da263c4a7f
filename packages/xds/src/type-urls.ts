/** The four resource types mosn-ts takes over ADS (Envoy v3), by their type URLs. */
export const LISTENER_TYPE = 'type.googleapis.com/envoy.config.listener.v3.Listener';
export const ROUTE_TYPE = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';
export const CLUSTER_TYPE = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
export const ENDPOINT_TYPE = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';

export type ResourceType = typeof LISTENER_TYPE | typeof ROUTE_TYPE | typeof CLUSTER_TYPE | typeof ENDPOINT_TYPE;

/** Short names for logs and stats: LDS, RDS, CDS, EDS. */
export const SHORT_NAME: Readonly<Record<ResourceType, string>> = {
  [LISTENER_TYPE]: 'LDS',
  [ROUTE_TYPE]: 'RDS',
  [CLUSTER_TYPE]: 'CDS',
  [ENDPOINT_TYPE]: 'EDS',
};

/** The order Envoy applies types in (clusters before the listeners whose routes name them). */
export const RESOURCE_TYPES: readonly ResourceType[] = [CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE];

/** The message name inside a type URL: `type.googleapis.com/envoy.config.listener.v3.Listener` → `envoy.config.listener.v3.Listener`. */
export function messageName(typeUrl: string): string {
  const slash = typeUrl.lastIndexOf('/');
  return slash >= 0 ? typeUrl.slice(slash + 1) : typeUrl;
}
