import type { Message } from '../proto.js';
import type { ConvertContext } from './context.js';
import { objects, str, typedConfigName } from './fields.js';
import { setFields } from './field-rules.js';

export const ROUTER_TYPE = 'envoy.extensions.filters.http.router.v3.Router';
const ROUTER_NAMES = new Set(['envoy.filters.http.router', 'envoy.router', 'router']);

/**
 * HTTP filters that ignored would let requests through that Envoy refuses, answer them differently, or send them
 * elsewhere: an error. By message name of the typed_config (first) and by filter name.
 */
const REFUSED: ReadonlyArray<readonly [messageName: string, filterName: string, why: string]> = [
  ['envoy.extensions.filters.http.rbac.v3.RBAC', 'envoy.filters.http.rbac', 'it authorizes requests'],
  ['envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication', 'envoy.filters.http.jwt_authn', 'it authenticates requests'],
  ['envoy.extensions.filters.http.ext_authz.v3.ExtAuthz', 'envoy.filters.http.ext_authz', 'it authorizes requests'],
  ['envoy.extensions.filters.http.oauth2.v3.OAuth2', 'envoy.filters.http.oauth2', 'it authenticates requests'],
  ['envoy.extensions.filters.http.basic_auth.v3.BasicAuth', 'envoy.filters.http.basic_auth', 'it authenticates requests'],
  ['envoy.extensions.filters.http.csrf.v3.CsrfPolicy', 'envoy.filters.http.csrf', 'it refuses cross-site requests'],
  ['envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit', 'envoy.filters.http.local_ratelimit', 'it limits requests'],
  ['envoy.extensions.filters.http.ratelimit.v3.RateLimit', 'envoy.filters.http.ratelimit', 'it limits requests'],
  ['envoy.extensions.filters.http.admission_control.v3.AdmissionControl', 'envoy.filters.http.admission_control', 'it refuses requests'],
  ['envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor', 'envoy.filters.http.ext_proc', 'an external processor may refuse or change requests'],
  ['envoy.extensions.filters.http.lua.v3.Lua', 'envoy.filters.http.lua', 'its script may refuse, answer or reroute requests'],
  ['envoy.extensions.filters.http.wasm.v3.Wasm', 'envoy.filters.http.wasm', 'its plugin may refuse, answer or reroute requests'],
  ['envoy.extensions.filters.http.health_check.v3.HealthCheck', 'envoy.filters.http.health_check', 'it answers health checks itself'],
  ['envoy.extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig', 'envoy.filters.http.dynamic_forward_proxy', 'it chooses the upstream host'],
  ['envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder', 'envoy.filters.http.grpc_json_transcoder', 'it translates requests'],
  ['envoy.extensions.filters.http.grpc_web.v3.GrpcWeb', 'envoy.filters.http.grpc_web', 'it translates requests'],
  ['envoy.extensions.filters.http.grpc_http1_bridge.v3.Config', 'envoy.filters.http.grpc_http1_bridge', 'it translates requests'],
  ['envoy.extensions.filters.http.header_mutation.v3.HeaderMutation', 'envoy.filters.http.header_mutation', 'its header changes may change the route'],
  ['envoy.extensions.filters.http.set_metadata.v3.Config', 'envoy.filters.http.set_metadata', 'its metadata may select hosts'],
  ['envoy.extensions.filters.http.header_to_metadata.v3.Config', 'envoy.filters.http.header_to_metadata', 'its metadata may select hosts'],
];

/** Istio's telemetry plugins (Wasm or native): they only observe; a warning even when packed as Wasm. */
const ISTIO_TELEMETRY = new Set(['istio.metadata_exchange', 'istio.stats', 'istio.alpn', 'envoy.filters.http.peer_metadata']);

/**
 * An HCM's `http_filters`: the router must be last (Envoy's rule), and is what mosn-ts's `proxy` does. mosn-ts has
 * no HTTP filters yet: one that enforces security or changes where requests go is an error; any other is a
 * warning (not applied). An `is_optional` filter is a warning either way (Envoy too skips one it lacks);
 * a `disabled` one is enforced only on routes that enable it, so it is judged as if enabled.
 */
export function convertHttpFilters(filters: unknown, ctx: ConvertContext): void {
  const list = objects(filters);
  if (list.length === 0) {
    ctx.error('no HTTP filters: the router filter (envoy.filters.http.router) is required, last');
    return;
  }
  list.forEach((f, i) => {
    const at = ctx.at(`[${i}]`);
    const name = str(f.name);
    const message = typedConfigName(f.typed_config);
    const label = `"${name}"${message !== undefined && message !== name ? ` (${message})` : ''}`;
    if (message === ROUTER_TYPE || (message === undefined && ROUTER_NAMES.has(name))) {
      if (i !== list.length - 1) at.error('the router filter must be the last HTTP filter (Envoy refuses this too)');
      checkRouter(f, at);
      return;
    }
    if (i === list.length - 1) at.error(`the last HTTP filter must be the router (envoy.filters.http.router); ${label} is not`);
    if (f.config_type === 'config_discovery') {
      at.at('config_discovery').error(`${label}: HTTP filter configs by discovery (ECDS) are not supported by mosn-ts`);
      return;
    }
    const refused = ISTIO_TELEMETRY.has(name) ? undefined : REFUSED.find(([m, n]) => m === message || n === name);
    if (refused && f.is_optional !== true) {
      at.error(`HTTP filter ${label} is not supported by mosn-ts; ignoring it would let requests through differently: ${refused[2]}`);
    } else {
      at.warn(`HTTP filter ${label} is not supported by mosn-ts yet; not applied${f.is_optional === true ? ' (is_optional)' : ''}`);
    }
  });
}

/** The router's own settings: mosn-ts's `proxy` routes the same way; any setting is a warning. */
function checkRouter(f: Message, ctx: ConvertContext): void {
  if (f.config_type === 'config_discovery') {
    ctx.at('config_discovery').error('the router filter cannot come by discovery (ECDS); Envoy refuses this too');
    return;
  }
  if (f.disabled === true) ctx.at('disabled').error('the router filter cannot be disabled (Envoy refuses this too)');
  const url = str((f.typed_config as Message | undefined)?.type_url);
  if (url === '') return;
  if (!url.endsWith(`/${ROUTER_TYPE}`)) {
    ctx.at('typed_config').warn(`router settings packed as ${url} are not read by mosn-ts; ignored`);
    return;
  }
  const router = ctx.unpack(f.typed_config as { type_url?: string; value?: Uint8Array });
  if (!router) return;
  const set = setFields(router.value, ROUTER_TYPE);
  if (set.length > 0) ctx.at('typed_config').warn(`router settings are not supported by mosn-ts; ignored: ${set.join(', ')}`);
}
