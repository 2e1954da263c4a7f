import type { Message } from '../proto.js';
import { durationString, type ConvertContext, type MosnJson } from './context.js';
import { convertHttpFilters } from './hcm-http-filters.js';
import { boolValue, numberValue, obj, objects, str } from './fields.js';
import { checkFields, type FieldRules, setFields } from './field-rules.js';

export const HCM_TYPE = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/** A route table a listener needs: by RDS (the xDS client subscribes to it) or inline (the caller converts it). */
export type ListenerRoute =
  | { readonly kind: 'rds'; readonly name: string }
  | { readonly kind: 'inline'; readonly name: string; readonly routeConfiguration: Message };

/** What an HCM becomes: MOSN's `proxy` filter, the route it names, and the listener's `connection_idle_timeout`. */
export interface ConvertedHcm {
  readonly filter: MosnJson;
  readonly route: ListenerRoute;
  readonly connectionIdleTimeout: string;
}

/** Envoy's defaults that mosn-ts's differ from: the HCM's connection idle timeout (1h) and header limit (60 KiB). */
const ENVOY_IDLE_TIMEOUT = '3600s';
const ENVOY_MAX_REQUEST_HEADERS_KB = 60;
/** mosn-ts's range for `extend_config.http1.max_header_size`. */
const MOSN_MAX_HEADER_SIZE = 1024 * 1024;

const CODECS: Readonly<Record<string, string>> = { AUTO: 'Http1,Http2', HTTP1: 'Http1', HTTP2: 'Http2' };

const ACCESS_LOG = { warn: "Envoy's access logs are not converted (mosn-ts writes MOSN's access_logs: docs/access-log.md); ignored" } as const;
const REQUEST_ID = { warn: 'mosn-ts does not generate or change x-request-id; ignored' } as const;
const PATH_AS_SENT = 'mosn-ts does not normalize request paths: routes match, and the upstream gets, the path as sent (Envoy would first remove dot segments / merge slashes)';
const PATH_NORMALIZATION = 'mosn-ts does not normalize request paths: ignoring this would match routes (and send requests) on the path as sent, which may reach a route Envoy would not';

/** What becomes of each HttpConnectionManager field (docs/xds-listeners.md). */
export const HCM_RULES: FieldRules = {
  codec_type: 'converted',
  rds: 'converted',
  route_config: 'converted',
  scoped_routes: { error: 'scoped routes (SRDS) are not supported by mosn-ts' },
  http_filters: 'converted',
  common_http_protocol_options: 'converted',
  http_protocol_options: 'converted',
  http2_protocol_options: 'converted',
  max_request_headers_kb: 'converted',
  request_headers_timeout: 'converted',
  upgrade_configs: 'converted',
  path_with_escaped_slashes_action: 'converted',
  stat_prefix: { warn: 'mosn-ts names the proxy\'s stats listener.<listener name>.; ignored' },
  add_user_agent: { warn: 'mosn-ts does not add x-envoy-downstream-service-cluster/node headers; ignored' },
  tracing: { warn: 'tracing is not supported by mosn-ts yet; ignored' },
  http3_protocol_options: { warn: 'HTTP/3 is not supported by mosn-ts; ignored' },
  server_name: { warn: 'mosn-ts does not set the Server response header; ignored' },
  server_header_transformation: { warn: 'mosn-ts passes the upstream\'s Server header on unchanged; ignored' },
  scheme_header_transformation: { warn: 'mosn-ts does not rewrite the :scheme header; ignored' },
  stream_idle_timeout: { warn: 'a per-stream idle timeout is not supported by mosn-ts; ignored (the connection\'s idle timeout and the route\'s timeout apply)' },
  request_timeout: { warn: 'a timeout for receiving the whole request is not supported by mosn-ts; ignored' },
  drain_timeout: { warn: 'mosn-ts drains with its graceful_timeout; ignored' },
  delayed_close_timeout: { warn: 'mosn-ts closes a connection once its last response is written; ignored' },
  access_log: ACCESS_LOG,
  access_log_flush_interval: ACCESS_LOG,
  flush_access_log_on_new_request: ACCESS_LOG,
  access_log_options: ACCESS_LOG,
  use_remote_address: { warn: 'mosn-ts appends the peer address to x-forwarded-for on every request but does not mark requests internal or external; ignored' },
  xff_num_trusted_hops: { warn: 'mosn-ts does not pick a trusted client address from x-forwarded-for; ignored' },
  original_ip_detection_extensions: { warn: 'mosn-ts does not detect a client address from headers; ignored' },
  early_header_mutation_extensions: { error: 'header changes before routing are not supported by mosn-ts; ignoring them would route requests on headers Envoy would have changed' },
  internal_address_config: { warn: 'mosn-ts does not mark requests internal; ignored' },
  skip_xff_append: { warn: 'mosn-ts always appends the peer address to x-forwarded-for; ignored' },
  via: { warn: 'mosn-ts does not add a Via header; ignored' },
  generate_request_id: REQUEST_ID,
  preserve_external_request_id: REQUEST_ID,
  always_set_request_id_in_response: REQUEST_ID,
  request_id_extension: REQUEST_ID,
  forward_client_cert_details: { warn: 'mosn-ts neither sets nor removes x-forwarded-client-cert: the header goes upstream as the client sent it; ignored' },
  set_current_client_cert_details: { warn: 'mosn-ts does not set x-forwarded-client-cert; ignored' },
  proxy_100_continue: { warn: 'mosn-ts does not answer Expect: 100-continue itself; ignored' },
  represent_ipv4_remote_address_as_ipv4_mapped_ipv6: { warn: 'not supported by mosn-ts; ignored' },
  // Istio sets these on every HTTP listener: refusing them would refuse Istio. A warning, and docs/compat.md says
  // what differs (a path with `.`/`..` segments or `//` is routed and forwarded as sent).
  normalize_path: { warn: PATH_AS_SENT },
  merge_slashes: { warn: PATH_AS_SENT },
  path_normalization_options: { error: PATH_NORMALIZATION },
  local_reply_config: { warn: 'custom local replies are not supported by mosn-ts; its own are sent' },
  strip_matching_host_port: { warn: 'mosn-ts matches virtual hosts on the Host with its port first, then without; ignored' },
  strip_any_host_port: { warn: 'mosn-ts matches virtual hosts on the Host with its port first, then without; ignored' },
  strip_trailing_host_dot: { error: 'mosn-ts does not strip a trailing dot from the Host: ignoring this would send such requests to another virtual host' },
  stream_error_on_invalid_http_message: { warn: 'mosn-ts closes the connection on an invalid HTTP/1 message; ignored' },
  proxy_status_config: { warn: 'the Proxy-Status header is not supported by mosn-ts; ignored' },
  typed_header_validation_config: { warn: 'header validation extensions are not supported by mosn-ts; its own header checks apply' },
  append_x_forwarded_port: { warn: 'mosn-ts does not add x-forwarded-port; ignored' },
  append_local_overload: { warn: 'mosn-ts has no overload manager; ignored' },
  add_proxy_protocol_connection_state: { warn: 'PROXY protocol is not supported by mosn-ts; ignored' },
};

/** `common_http_protocol_options` (core.v3.HttpProtocolOptions): only `idle_timeout` has a MOSN key. */
export const COMMON_OPTIONS_RULES: FieldRules = {
  idle_timeout: 'converted',
  max_connection_duration: { warn: 'a maximum connection duration is not supported by mosn-ts; ignored' },
  max_headers_count: { warn: 'not configurable in mosn-ts (HTTP/2: 128 header fields); ignored' },
  max_stream_duration: { warn: 'a maximum stream duration is not supported by mosn-ts; ignored (the route\'s timeout applies)' },
  headers_with_underscores_action: { warn: 'mosn-ts passes headers with underscores on; ignored' },
  max_requests_per_connection: { warn: 'a downstream request limit per connection is not supported by mosn-ts; ignored' },
};

/**
 * Envoy's `envoy.filters.network.http_connection_manager` → MOSN's `proxy` filter:
 * `codec_type` → `downstream_protocol` (`AUTO` → `Http1,Http2`: detected per connection among the two, as Envoy),
 * `rds.route_config_name` or the inline `route_config` → `router_config_name` (an inline one named by
 * `inlineName`), `max_request_headers_kb` and `request_headers_timeout` → `extend_config.http1`;
 * `common_http_protocol_options.idle_timeout` → the listener's `connection_idle_timeout` (absent: Envoy's 1h).
 */
export function convertHttpConnectionManager(hcm: Message, ctx: ConvertContext, inlineName: (routeConfiguration: Message) => string): ConvertedHcm | undefined {
  checkFields(hcm, HCM_TYPE, HCM_RULES, ctx);
  const codecType = str(hcm.codec_type) || 'AUTO';
  const downstream = CODECS[codecType];
  if (downstream === undefined) ctx.at('codec_type').error(`${codecType} is not supported by mosn-ts; supported: ${Object.keys(CODECS).join(', ')}`);
  const http1 = downstream !== 'Http2';
  const http2 = downstream !== 'Http1';

  convertHttpFilters(hcm.http_filters, ctx.at('http_filters'));
  const route = convertRouteSpecifier(hcm, ctx, inlineName);

  const extHttp1: MosnJson = {};
  const kb = numberValue(hcm.max_request_headers_kb) || ENVOY_MAX_REQUEST_HEADERS_KB; // 0 is not valid (Envoy: more than 0)
  if (kb * 1024 > MOSN_MAX_HEADER_SIZE) ctx.at('max_request_headers_kb').warn(`${kb} KiB is more than mosn-ts allows: HTTP/1 request heads are limited to 1024 KiB`);
  if (http2 && hcm.max_request_headers_kb !== undefined) ctx.at('max_request_headers_kb').warn('applies to HTTP/1 only in mosn-ts: HTTP/2 header lists are limited to 64 KiB');
  if (http1) extHttp1.max_header_size = Math.min(Math.max(kb * 1024, 1024), MOSN_MAX_HEADER_SIZE);
  if (hcm.request_headers_timeout !== undefined) {
    if (http1) extHttp1.request_headers_timeout = durationString(hcm.request_headers_timeout);
    if (http2) ctx.at('request_headers_timeout').warn('applies to HTTP/1 only in mosn-ts');
  }

  const common = obj(hcm.common_http_protocol_options);
  checkFields(common, 'envoy.config.core.v3.HttpProtocolOptions', COMMON_OPTIONS_RULES, ctx.at('common_http_protocol_options'));
  const connectionIdleTimeout = common.idle_timeout !== undefined ? durationString(common.idle_timeout)! : ENVOY_IDLE_TIMEOUT;

  for (const [field, type] of [['http_protocol_options', 'Http1ProtocolOptions'], ['http2_protocol_options', 'Http2ProtocolOptions']] as const) {
    const set = setFields(obj(hcm[field]), `envoy.config.core.v3.${type}`);
    if (set.length > 0) ctx.at(field).warn(`not supported by mosn-ts; ignored: ${set.join(', ')}`);
  }
  checkUpgrades(hcm.upgrade_configs, ctx.at('upgrade_configs'));
  const escaped = str(hcm.path_with_escaped_slashes_action);
  if (escaped !== '' && escaped !== 'IMPLEMENTATION_SPECIFIC_DEFAULT' && escaped !== 'KEEP_UNCHANGED') ctx.at('path_with_escaped_slashes_action').error(`${escaped}: ${PATH_NORMALIZATION}`);

  if (downstream === undefined || route === undefined) return undefined;
  const config: MosnJson = { downstream_protocol: downstream, router_config_name: route.name };
  if (Object.keys(extHttp1).length > 0) config.extend_config = { http1: extHttp1 };
  return { filter: { type: 'proxy', config }, route, connectionIdleTimeout };
}

/** `rds` (the name, from ADS) or `route_config` (inline); `scoped_routes` is refused by the rules. */
function convertRouteSpecifier(hcm: Message, ctx: ConvertContext, inlineName: (routeConfiguration: Message) => string): ListenerRoute | undefined {
  switch (hcm.route_specifier) {
    case 'rds': {
      const rds = obj(hcm.rds);
      const name = str(rds.route_config_name);
      if (name === '') {
        ctx.at('rds.route_config_name').error('is required');
        return undefined;
      }
      const source = str(obj(rds.config_source).config_source_specifier);
      if (source !== '' && source !== 'ads' && source !== 'self') {
        ctx.at('rds.config_source').warn(`${source}: mosn-ts subscribes to every route configuration over its ADS stream`);
      }
      return { kind: 'rds', name };
    }
    case 'route_config': {
      const routeConfiguration = obj(hcm.route_config);
      return { kind: 'inline', name: inlineName(routeConfiguration), routeConfiguration };
    }
    case 'scoped_routes':
      return undefined;
    default:
      ctx.error('one of rds, route_config and scoped_routes is required');
      return undefined;
  }
}

/** mosn-ts proxies every upgrade (WebSocket) request to an HTTP/1 upstream: WebSocket enabled is what it does. */
function checkUpgrades(upgrades: unknown, ctx: ConvertContext): void {
  objects(upgrades).forEach((u, i) => {
    const at = ctx.at(`[${i}]`);
    const type = str(u.upgrade_type);
    const enabled = boolValue(u.enabled) ?? true;
    if (type.toLowerCase() !== 'websocket') at.warn(`upgrade "${type}" is not supported by mosn-ts; ignored (mosn-ts proxies every Upgrade request to HTTP/1 upstreams)`);
    else if (!enabled) at.warn('mosn-ts cannot refuse WebSocket upgrades: they are proxied; ignored');
    // Envoy runs these instead of http_filters on upgrade requests: judged the same way
    if (objects(u.filters).length > 0) convertHttpFilters(u.filters, at.at('filters'));
  });
}
