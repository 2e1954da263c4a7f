import type { Message } from '../proto.js';
import type { ConvertContext, MosnJson } from './context.js';
import { durationString } from './context.js';
import { isSet, numberValue, obj } from './fields.js';
import { checkFields, NOT_SUPPORTED, type FieldRules } from './field-rules.js';

const HTTP_OPTIONS_TYPE = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** What MOSN cannot say on a cluster: its upstream HTTP version is chosen by the proxy filter or the route. */
const NO_PROTOCOL_KEY = 'a MOSN cluster has no upstream protocol key: the proxy filter\'s or the route\'s upstream_protocol decides (HTTP/1 unless they say Http2)';

/**
 * `typed_extension_protocol_options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]` and the
 * deprecated `common_http_protocol_options`, `upstream_http_protocol_options`, `http_protocol_options`,
 * `http2_protocol_options`, `protocol_selection` → `idle_timeout` and `max_request_per_conn` on `out`.
 * The HTTP version is warned about (no such key on a MOSN cluster); auto SNI and upstream HTTP filters are errors.
 */
export function convertProtocolOptions(c: Message, ctx: ConvertContext, out: MosnJson): { http2: boolean } {
  let http2 = false;
  for (const [name, any] of Object.entries(obj(c.typed_extension_protocol_options))) {
    const at = ctx.at(`typed_extension_protocol_options["${name}"]`);
    const typeUrl = String(obj(any).type_url ?? '');
    if (typeUrl.endsWith(`/${HTTP_OPTIONS_TYPE}`)) {
      const unpacked = at.unpack(obj(any));
      if (unpacked) http2 = convertHttpProtocolOptions(unpacked.value, at, out) || http2;
    } else {
      at.warn(`protocol options ${typeUrl || name} are not supported by mosn-ts; ignored`);
    }
  }
  if (isSet(c.common_http_protocol_options)) convertCommon(obj(c.common_http_protocol_options), ctx.at('common_http_protocol_options'), out);
  if (isSet(c.upstream_http_protocol_options)) convertUpstream(obj(c.upstream_http_protocol_options), ctx.at('upstream_http_protocol_options'));
  if (isSet(c.http2_protocol_options)) http2 = true;
  if (Object.keys(obj(c.http_protocol_options)).length > 0) ctx.at('http_protocol_options').warn('HTTP/1 options are not supported by mosn-ts; ignored');
  if (c.protocol_selection === 'USE_DOWNSTREAM_PROTOCOL') ctx.at('protocol_selection').warn(`USE_DOWNSTREAM_PROTOCOL: ${NO_PROTOCOL_KEY}`);
  return { http2 };
}

/** What becomes of each field of an `upstreams.http.v3.HttpProtocolOptions` (a test checks them against the protos). */
export const HTTP_OPTIONS_RULES: FieldRules = {
  common_http_protocol_options: 'converted',
  upstream_http_protocol_options: 'converted',
  explicit_http_config: 'converted',
  use_downstream_protocol_config: 'converted',
  auto_config: 'converted',
  http_filters: { error: 'upstream HTTP filters are not supported by mosn-ts: the requests would go out unchanged by them' },
  header_validation_config: NOT_SUPPORTED,
};

/** True when it asks for HTTP/2 upstream. */
function convertHttpProtocolOptions(o: Message, ctx: ConvertContext, out: MosnJson): boolean {
  let http2 = false;
  if (isSet(o.common_http_protocol_options)) convertCommon(obj(o.common_http_protocol_options), ctx.at('common_http_protocol_options'), out);
  if (isSet(o.upstream_http_protocol_options)) convertUpstream(obj(o.upstream_http_protocol_options), ctx.at('upstream_http_protocol_options'));
  switch (o.upstream_protocol_options) {
    case 'explicit_http_config': {
      const e = obj(o.explicit_http_config);
      const at = ctx.at('explicit_http_config');
      if (e.protocol_config === 'http2_protocol_options') http2 = true;
      else if (e.protocol_config === 'http3_protocol_options') at.at('http3_protocol_options').warn(`HTTP/3 is not supported by mosn-ts; ${NO_PROTOCOL_KEY}`);
      else if (Object.keys(obj(e.http_protocol_options)).length > 0) at.at('http_protocol_options').warn('HTTP/1 options are not supported by mosn-ts; ignored');
      break;
    }
    case 'use_downstream_protocol_config':
      ctx.at('use_downstream_protocol_config').warn(`the downstream's HTTP version: ${NO_PROTOCOL_KEY}`);
      break;
    case 'auto_config':
      ctx.at('auto_config').warn(`the HTTP version by ALPN: ${NO_PROTOCOL_KEY}`);
      break;
    default:
  }
  checkFields(o, HTTP_OPTIONS_TYPE, HTTP_OPTIONS_RULES, ctx);
  return http2;
}

/** What becomes of each field of a cluster's `core.v3.HttpProtocolOptions` (a test checks them against the protos). */
export const CLUSTER_COMMON_OPTIONS_RULES: FieldRules = {
  idle_timeout: 'converted',
  max_connection_duration: NOT_SUPPORTED,
  max_headers_count: NOT_SUPPORTED,
  max_stream_duration: NOT_SUPPORTED,
  headers_with_underscores_action: NOT_SUPPORTED,
  max_requests_per_connection: 'converted',
};

/** `core.v3.HttpProtocolOptions`: `idle_timeout`, `max_requests_per_connection`. */
function convertCommon(p: Message, ctx: ConvertContext, out: MosnJson): void {
  const idle = durationString(p.idle_timeout);
  if (idle !== undefined) out.idle_timeout = idle;
  const max = numberValue(p.max_requests_per_connection);
  if (max !== undefined) out.max_request_per_conn = max;
  checkFields(p, 'envoy.config.core.v3.HttpProtocolOptions', CLUSTER_COMMON_OPTIONS_RULES, ctx);
}

/** What becomes of each field of an `UpstreamHttpProtocolOptions` (a test checks them against the protos). */
export const UPSTREAM_HTTP_OPTIONS_RULES: FieldRules = {
  auto_sni: 'converted',
  auto_san_validation: 'converted',
  override_auto_sni_header: 'noop',
};

/** `auto_sni` and `auto_san_validation`: per-request TLS names that mosn-ts does not have. */
function convertUpstream(u: Message, ctx: ConvertContext): void {
  if (u.auto_sni === true) ctx.at('auto_sni').error('SNI from each request\'s Host is not supported by mosn-ts: the cluster\'s fixed sni would be sent, so a TLS front routing by SNI could pick another backend');
  if (u.auto_san_validation === true) ctx.at('auto_san_validation').error('verifying the server certificate against each request\'s Host is not supported by mosn-ts');
  checkFields(u, 'envoy.config.core.v3.UpstreamHttpProtocolOptions', UPSTREAM_HTTP_OPTIONS_RULES, ctx);
}
