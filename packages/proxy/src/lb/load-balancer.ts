import type { Cluster, Host } from '../upstream/cluster.js';
import type { MetadataMatch } from './subset.js';
import type { SlowStartConfig } from './slow-start.js';

/** What a load balancer may know of the request it picks a host for. */
export interface LbContext {
  /** The key for consistent hashing (from the route's `hash_policy`: a header, a cookie, the source IP). */
  hashKey?: string | undefined;
  /** The downstream's address, for source-IP hashing. */
  sourceAddress?: string | undefined;
  /** On a retry: the host the previous attempt of this request went to. */
  previousHost?: Host | undefined;
  /** The downstream connection's local address and port (the original destination, for ORIGINAL_DST clusters). */
  localAddress?: string | undefined;
  localPort?: number | undefined;
  /** A request header (HTTP) or frame header (RPC) by name, for ORIGINAL_DST clusters with `use_header`. */
  header?: ((name: string) => string | undefined) | undefined;
  /** The route's `metadata_match`: which subset of a cluster with `lb_subset_config` to balance over. */
  metadataMatch?: MetadataMatch | undefined;
}

/**
 * A request's context with `previousHost` set, for a retry: copied field by field (a request may serve its fields
 * through getters, which a spread would not copy).
 */
export function withPreviousHost(ctx: LbContext | undefined, previousHost: Host | undefined): LbContext {
  return {
    hashKey: ctx?.hashKey,
    sourceAddress: ctx?.sourceAddress,
    localAddress: ctx?.localAddress,
    localPort: ctx?.localPort,
    header: ctx?.header,
    metadataMatch: ctx?.metadataMatch,
    previousHost,
  };
}

/** Picks an upstream host for a request. */
export interface LoadBalancer {
  chooseHost(ctx?: LbContext): Host | undefined;
  /** The request alone decides the host (LB_ORIGINAL_DST): a failed connect is not retried on another host. */
  readonly fixedChoice?: boolean;
  /**
   * Every host a request with this context may be sent to (a subset balancer's subset and fallback);
   * absent: every host of the cluster. Retries stay within it.
   */
  hostsFor?(ctx?: LbContext): readonly Host[];
}

/** `lbconfig` and related cluster settings a load balancer may read. */
export interface LbConfig {
  /** LB_LEAST_REQUEST / LB_LEAST_CONNECTION: hosts sampled per pick (power of two choices by default). */
  choiceCount?: number;
  /** LB_LEAST_REQUEST with weights: how strongly active requests lower a host's effective weight. */
  activeRequestBias?: number;
  /** Envoy's healthy panic threshold in percent (default 50; 0 turns panic mode off). */
  healthyPanicThreshold?: number;
  /** The cluster's `slow_start`: weighted balancers ramp a new or recovered host's weight up over a window. */
  slowStart?: SlowStartConfig;
  /** The clock, in ms (default `performance.now`); tests pass their own. */
  now?: () => number;
}

/**
 * Builds a load balancer over a cluster's hosts; registered by `lb_type` name. Called again with the new list
 * whenever the cluster's hosts change; `cluster` is given for balancers that make hosts (LB_ORIGINAL_DST).
 */
export type LoadBalancerFactory = (hosts: readonly Host[], config?: LbConfig, cluster?: Cluster) => LoadBalancer;
