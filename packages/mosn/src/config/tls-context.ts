import type { ConfigReader } from './config-reader.js';

/**
 * `tls_context` (a listener's filter chain or a cluster): `status: true` is refused; otherwise the other
 * settings are inert, as in MOSN.
 */
export function readTlsContext(parent: ConfigReader, refusal: string): void {
  const tls = parent.obj('tls_context');
  if (!tls) return;
  if (tls.bool('status')) parent.problems.error(parent.at('tls_context'), refusal);
  tls.inert(['type', 'server_name', 'ca_cert', 'cert_chain', 'private_key', 'verify_client', 'require_client_cert', 'insecure_skip', 'cipher_suites', 'ecdh_curves', 'min_version', 'max_version', 'alpn', 'ticket', 'fall_back', 'extend_verify', 'callbacks', 'sds_source']);
  tls.finish();
}
