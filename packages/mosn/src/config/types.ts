import type { XdsSections } from '@mosn/xds';
import type { RegistryConfig } from '../registry/config.js';
import type { MetricsConfig } from './metrics-section.js';
import type { TracingConfig } from './tracing-section.js';
import type { XdsBootstrap } from '../xds/bootstrap.js';
import type {
  Address,
  ClusterConfig,
  HeaderEditConfig,
  HealthCheckConfig,
  HostConfig,
  OriginalDstConfig,
  OutlierDetectionConfig,
  StrictDnsConfig,
  VirtualHost,
} from '@mosn/proxy';

/**
 * The config values of mosn-ts: what the readers (one per config section, in this folder) make of MOSN's JSON,
 * and what `apply` (../runtime) turns into running listeners, routers and clusters. They are plain data: no
 * socket, timer or pool. Each section keeps `source`, the MOSN JSON it was read from: the running config is
 * dumped from it, and two versions of a section are the same when their sources are equal.
 */

/** A whole config, as read from one file (or assembled by a dynamic source), frozen. */
export interface MosnConfig {
  readonly logPath: string;
  readonly logLevel: string;
  readonly gracefulTimeoutMs: number;
  /** `servers[0].processor` (MOSN's GOMAXPROCS): worker processes; 1 is one process without workers. */
  readonly workers: number;
  readonly admin: Address | undefined;
  /** In the order of `cluster_manager.clusters`. */
  readonly clusters: readonly ClusterSpec[];
  /** In the order of `servers[0].routers`. */
  readonly routers: readonly RouterSpec[];
  /** In the order of `servers[0].listeners`. */
  readonly listeners: readonly ListenerSpec[];
  /** The whole MOSN JSON document this config was read from. */
  readonly source: unknown;
  /** With `dynamic_resources`/`static_resources`: the control plane to follow, and the static resources converted. */
  readonly xds?: XdsConfig;
  /** With `extends[]` of a registry type: the ZooKeeper registries to follow and the API to serve (docs/registry.md). */
  readonly registry?: RegistryConfig;
  /** With `metrics`: the Prometheus sink and stats_matcher (docs/operations.md, "Metrics"). */
  readonly metrics?: MetricsConfig;
  /** With `tracing` enabled and driver `otel`: sampling and the OTLP/HTTP collector (docs/operations.md, "Tracing"). */
  readonly tracing?: TracingConfig;
}

/** MOSN's xDS bootstrap, read (with the CLI's node flags over it), and its static resources as MOSN sections. */
export interface XdsConfig {
  readonly bootstrap: XdsBootstrap;
  readonly staticSections: XdsSections;
  /** Static clusters that speak HTTP/2 upstream. */
  readonly staticHttp2Clusters: ReadonlySet<string>;
}

/** One cluster of `cluster_manager.clusters[]`. */
export interface ClusterSpec {
  readonly name: string;
  /** The cluster's MOSN JSON. */
  readonly source: unknown;
  /** What the Cluster is built with. `hosts` is empty for STRICT_DNS and ORIGINAL_DST clusters. */
  readonly config: ClusterConfig;
  /** `lb_type`, upper case, as resolved (LB_ORIGINAL_DST for ORIGINAL_DST clusters). */
  readonly lbType: string;
  /** STRICT_DNS: the names to resolve and how. */
  readonly dns?: { readonly hosts: readonly HostConfig[]; readonly settings: StrictDnsConfig };
  /** ORIGINAL_DST (or LB_ORIGINAL_DST): how destinations are found. */
  readonly originalDst?: OriginalDstConfig;
  readonly healthCheck?: HealthCheckConfig;
  readonly outlierDetection?: OutlierDetectionConfig;
  /** Upstream TLS: the cluster's `tls_context` (or `cluster_manager.tls_context` with `cluster_manager_tls`). */
  readonly tls?: TlsContextSpec;
}

/** One router of `servers[0].routers[]`. */
export interface RouterSpec {
  readonly name: string;
  readonly source: unknown;
  readonly virtualHosts: readonly VirtualHost[];
  readonly requestHeaders?: HeaderEditConfig;
  readonly responseHeaders?: HeaderEditConfig;
}

/** One listener of `servers[0].listeners[]`. */
export interface ListenerSpec {
  readonly name: string;
  readonly source: unknown;
  readonly address: Address;
  readonly bufferLimit: number;
  readonly idleTimeoutMs: number;
  /** The network filters of its filter chain, in order (the last is `proxy` or `tcp_proxy`). */
  readonly filters: readonly NetworkFilterSpec[];
  /** `stream_filters`, in order: every request of its `proxy` filter runs through them. */
  readonly streamFilters?: readonly StreamFilterSpec[];
  /** `access_logs`, in order: one line per request (per connection for tcp_proxy) in each. */
  readonly accessLogs?: readonly AccessLogSpec[];
  /** TLS of its filter chain (`tls_context` or `tls_context_set`), and the listener's `inspector`. */
  readonly tls?: ListenerTlsSpec;
}

/** One `access_logs[]` entry: where lines go (a file path, `stdout`, `stderr`) and MOSN's format ('' is the default). */
export interface AccessLogSpec {
  readonly path: string;
  readonly format: string;
}

/** A listener's TLS: its certificates (one per `tls_context_set` entry) and whether plaintext is served too. */
export interface ListenerTlsSpec {
  /** In config order; SNI picks among them, the first is the default (MOSN's rules; see docs/tls.md). */
  readonly contexts: readonly TlsContextSpec[];
  /** `inspector: true`: a connection whose first byte is not a TLS handshake is served in plaintext. */
  readonly inspector: boolean;
}

/**
 * Go's tls.ClientAuthType, which MOSN derives from `verify_client` and `require_client_cert`: whether a listener
 * asks for a client certificate, requires one, and verifies it against `ca_cert`.
 */
export type ClientAuth = 'none' | 'request' | 'require_any' | 'verify_if_given' | 'require_and_verify';

/** One `tls_context` with `status: true`: certificate files already read (PEM text), every setting resolved. */
export interface TlsContextSpec {
  /**
   * `server_name`. Upstream: the SNI sent and the name the server's certificate must carry. Listener: the SNI
   * name this certificate is chosen for (besides the names in the certificate itself).
   */
  readonly serverName?: string;
  /** PEM text of `ca_cert`, `cert_chain`, `private_key` (a file path in the config is read; inline PEM kept). */
  readonly ca?: string;
  readonly certChain?: string;
  readonly privateKey?: string;
  /** Where each came from (a resolved file path), for rotation and messages; absent for inline PEM. */
  readonly files: { readonly ca?: string; readonly certChain?: string; readonly privateKey?: string };
  /** The DNS names and IP addresses the certificate is for (subjectAltName, else its CN): SNI matching. */
  readonly certNames: readonly string[];
  /** Listener side: what is asked of clients. */
  readonly clientAuth: ClientAuth;
  /** Upstream side: `insecure_skip`: the server's certificate is not verified. */
  readonly insecureSkip: boolean;
  /** OpenSSL cipher list from MOSN's Go names (`cipher_suites`); absent: OpenSSL's defaults. */
  readonly ciphers?: string;
  /** OpenSSL curve list from `ecdh_curves`; absent: defaults. */
  readonly ecdhCurves?: string;
  readonly minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  readonly maxVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  /** `alpn`: protocols offered (upstream) or accepted (listener); absent: chosen by mosn from the protocols. */
  readonly alpn?: readonly string[];
  /** `ticket`: session tickets on (listener); upstream sessions are reused either way. */
  readonly sessionTickets: boolean;
  /** `fall_back`: a listener whose certificate cannot be loaded serves plaintext instead of failing (MOSN). */
  readonly fallBack: boolean;
}

/** One stream filter of a listener (`stream_filters[]`): its type and the config value its extension read. */
export interface StreamFilterSpec {
  readonly type: string;
  readonly config: unknown;
}

/** One network filter of a listener: its type and the config value its extension read. */
export interface NetworkFilterSpec {
  readonly type: string;
  readonly config: unknown;
}
