import type { AnyMessage, Message } from '../proto.js';
import type { ConvertContext, MosnJson } from './context.js';
import { numberValue, obj, str } from './fields.js';
import { checkFields, type FieldRules } from './field-rules.js';
import { convertCommonTlsContextDetailed } from './tls-context.js';

const UPSTREAM_TLS = 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
const RAW_BUFFER = ['envoy.transport_sockets.raw_buffer', 'raw_buffer'];

/**
 * A cluster's `transport_socket` → MOSN's cluster `tls_context`; undefined for plaintext (`raw_buffer`). Any other
 * transport socket is an error: the bytes would go out differently than configured.
 */
export function convertTransportSocket(ts: Message, ctx: ConvertContext): MosnJson | undefined {
  const name = str(ts.name);
  const any = ts.typed_config as AnyMessage | undefined;
  const typeUrl = any?.type_url ?? '';
  if (typeUrl.endsWith(`/${UPSTREAM_TLS}`)) {
    const unpacked = ctx.at('typed_config').unpack(any);
    return unpacked ? convertUpstreamTlsContext(unpacked.value, ctx.at('typed_config')) : undefined;
  }
  if (RAW_BUFFER.includes(name) && (typeUrl === '' || typeUrl.endsWith('.RawBuffer'))) return undefined;
  ctx.error(`transport socket ${JSON.stringify(name || typeUrl)} is not supported by mosn-ts: only ${UPSTREAM_TLS} (TLS) and raw_buffer are`);
  return undefined;
}

/** What becomes of each field of an `UpstreamTlsContext` (a test checks them against the protos). */
export const UPSTREAM_TLS_RULES: FieldRules = {
  common_tls_context: 'converted',
  sni: 'converted',
  allow_renegotiation: { warn: 'not supported by mosn-ts: a server asking to renegotiate fails the connection' },
  max_session_keys: 'converted',
  enforce_rsa_key_usage: { warn: 'not supported by mosn-ts; OpenSSL\'s default applies' },
};

/** `UpstreamTlsContext` → MOSN's `tls_context` (`status: true`, `server_name` from `sni`, and the common keys). */
export function convertUpstreamTlsContext(u: Message, ctx: ConvertContext): MosnJson {
  const sni = str(u.sni);
  const { json, verifyPeer, sanMatchers } = convertCommonTlsContextDetailed(obj(u.common_tls_context), ctx.at('common_tls_context'), { side: 'upstream', sni });
  const out: MosnJson = { status: true, ...(sni !== '' ? { server_name: sni } : {}), ...json };
  if (verifyPeer && !sanMatchers) {
    // stricter than Envoy, so a warning: a certificate Envoy accepts may be refused
    ctx.warn(sni !== ''
      ? `the server's certificate must be valid for sni ${JSON.stringify(sni)} (MOSN checks server_name); Envoy checks names only with match_typed_subject_alt_names`
      : 'the server\'s certificate must be valid for the host\'s address (mosn-ts checks it without sni); Envoy checks names only with match_typed_subject_alt_names');
  }
  if (numberValue(u.max_session_keys) !== undefined) ctx.at('max_session_keys').warn('not supported by mosn-ts: Node\'s session cache is used');
  checkFields(u, UPSTREAM_TLS, UPSTREAM_TLS_RULES, ctx);
  return out;
}
