import type { Message } from '../proto.js';
import type { ConvertContext, MosnJson } from './context.js';
import { boolValue, obj, str } from './fields.js';
import { checkFields, type FieldRules } from './field-rules.js';
import { convertCommonTlsContextDetailed } from './tls-context.js';

export const DOWNSTREAM_TLS_TYPE = 'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
const RAW_BUFFER_TYPE = 'envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer';
const TLS_SOCKET_NAMES = new Set(['envoy.transport_sockets.tls', 'tls']);
const RAW_BUFFER_NAMES = new Set(['envoy.transport_sockets.raw_buffer', 'raw_buffer']);

const SESSIONS = { warn: 'mosn-ts keeps session resumption as Node does (tickets with its own keys); ignored' } as const;

/** What becomes of each DownstreamTlsContext field (docs/xds-listeners.md). */
export const DOWNSTREAM_TLS_RULES: FieldRules = {
  common_tls_context: 'converted',
  require_client_certificate: 'converted',
  require_sni: { warn: 'mosn-ts serves a client that sends no SNI (with the default certificate); ignored' },
  session_ticket_keys: SESSIONS,
  session_ticket_keys_sds_secret_config: SESSIONS,
  disable_stateless_session_resumption: SESSIONS,
  disable_stateful_session_resumption: SESSIONS,
  session_timeout: SESSIONS,
  ocsp_staple_policy: { warn: 'OCSP stapling is not supported by mosn-ts; ignored' },
  full_scan_certs_on_sni_mismatch: { warn: 'mosn-ts picks a certificate by its own SNI rules (docs/tls.md); ignored' },
};

/**
 * A filter chain's `transport_socket` → MOSN's `tls_context` (undefined: plaintext). A DownstreamTlsContext gives
 * `status: true`, the certificate, CA, versions, suites, curves and ALPN (`convertCommonTlsContext`), and client
 * authentication: `require_client_certificate` → `verify_client` and `require_client_cert`; a validation context
 * without it → `verify_client` alone (a certificate is asked for and verified when given, as Envoy does). Another
 * transport socket (ALTS, PROXY protocol, tap, STARTTLS...) is an error. `ok` is false after an error.
 */
export function convertTransportSocket(ts: unknown, ctx: ConvertContext): { ok: boolean; tls?: MosnJson } {
  if (ts === undefined) return { ok: true };
  const socket = obj(ts);
  const name = str(socket.name);
  const url = str(obj(socket.typed_config).type_url);
  const message = url.slice(url.lastIndexOf('/') + 1);
  if (message === RAW_BUFFER_TYPE || (url === '' && RAW_BUFFER_NAMES.has(name))) return { ok: true };
  if (message !== DOWNSTREAM_TLS_TYPE) {
    if (url === '' && TLS_SOCKET_NAMES.has(name)) ctx.error('a TLS transport socket without typed_config (a DownstreamTlsContext) has no certificate to serve');
    else ctx.error(`transport socket "${name}"${url !== '' ? ` (${message})` : ''} is not supported by mosn-ts; supported: ${DOWNSTREAM_TLS_TYPE}, raw buffer`);
    return { ok: false };
  }
  const unpacked = ctx.at('typed_config').unpack(socket.typed_config as { type_url?: string; value?: Uint8Array });
  if (!unpacked) return { ok: false };
  return convertDownstreamTlsContext(unpacked.value, ctx.at('typed_config'));
}

/** A DownstreamTlsContext → MOSN's listener `tls_context`. */
export function convertDownstreamTlsContext(d: Message, ctx: ConvertContext): { ok: boolean; tls?: MosnJson } {
  const errorsBefore = ctx.problems.errors.length;
  checkFields(d, DOWNSTREAM_TLS_TYPE, DOWNSTREAM_TLS_RULES, ctx);
  const commonCtx = ctx.at('common_tls_context');
  const { json, verifyPeer } = convertCommonTlsContextDetailed(d.common_tls_context as Message | undefined, commonCtx, { side: 'downstream' });
  const tls: MosnJson = { ...json };
  const require = boolValue(d.require_client_certificate) === true;
  if (require && !verifyPeer) {
    ctx.at('require_client_certificate').warn('without a validation context Envoy requires a client certificate and accepts any; mosn-ts verifies it against Node\'s default root CAs');
  }
  if (verifyPeer || require) tls.verify_client = true;
  if (require) tls.require_client_cert = true;
  if (ctx.problems.errors.length === errorsBefore && (tls.cert_chain === undefined || tls.private_key === undefined)) {
    commonCtx.at('tls_certificates').error('a listener\'s TLS needs the certificate it serves: a tls_certificates entry with certificate_chain and private_key');
  }
  const ok = ctx.problems.errors.length === errorsBefore;
  return ok ? { ok, tls } : { ok };
}
