import { constants } from 'node:crypto';
import tls from 'node:tls';
import { LISTENER_CX, logRateLimited, type ClientTlsOptions, type Logger, type ServerTlsOptions, type Stats } from '@mosn/proxy';
import type { ListenerSpec, ListenerTlsSpec, TlsContextSpec } from '../config/types.js';
import type { ProxyFilterSpec } from '../filters/proxy.js';

/**
 * From TLS config values to node:tls: secure contexts, and the options the NET/IO layer takes for a listener
 * (which certificate for which SNI name, what is asked of clients) and for an upstream cluster.
 */

/** An OpenSSL secure context for one `tls_context`. */
export function secureContext(spec: TlsContextSpec): tls.SecureContext {
  return tls.createSecureContext({
    ...(spec.ca !== undefined ? { ca: spec.ca } : {}),
    ...(spec.certChain !== undefined ? { cert: spec.certChain } : {}),
    ...(spec.privateKey !== undefined ? { key: spec.privateKey } : {}),
    ...(spec.ciphers !== undefined ? { ciphers: spec.ciphers } : {}),
    ...(spec.ecdhCurves !== undefined ? { ecdhCurve: spec.ecdhCurves } : {}),
    ...(spec.minVersion !== undefined ? { minVersion: spec.minVersion } : {}),
    ...(spec.maxVersion !== undefined ? { maxVersion: spec.maxVersion } : {}),
    ...(spec.sessionTickets ? {} : { secureOptions: constants.SSL_OP_NO_TICKET }),
  });
}

/** The names a context answers to, as MOSN matches them: its certificate's names and its `server_name`. */
function contextNames(spec: TlsContextSpec): Set<string> {
  const names = new Set(spec.certNames.map((n) => n.toLowerCase()));
  if (spec.serverName !== undefined) names.add(spec.serverName.toLowerCase());
  return names;
}

/**
 * The context a ClientHello's SNI name picks, by MOSN's rules (`GetConfigForClient`): the first context, in config
 * order, that has the name itself or the name with its leading labels replaced by `*` one at a time
 * (`*.a.example.com`, `*.example.com`, ...); a client without SNI gets the first context without a `server_name`;
 * otherwise the first context. (MOSN also tries the client's ALPN protocols before the default; node:tls does not
 * show them to SNI selection.)
 */
export function pickContext<T extends { spec: TlsContextSpec; names?: Set<string> }>(contexts: readonly T[], servername: string | undefined): T {
  const name = (servername ?? '').toLowerCase().replace(/\.+$/, '');
  if (name === '') return contexts.find((c) => c.spec.serverName === undefined) ?? contexts[0]!;
  const labels = name.split('.');
  const candidates = [name, ...labels.slice(1).map((_, i) => `*.${labels.slice(i + 1).join('.')}`)];
  const found = contexts.find((c) => {
    const names = (c.names ??= contextNames(c.spec));
    return candidates.some((n) => names.has(n));
  });
  return found ?? contexts[0]!;
}

/** What a listener offers in ALPN: `alpn` when set, else what its proxy filter's protocols can speak. */
function listenerAlpn(spec: ListenerSpec, contexts: readonly TlsContextSpec[]): string[] | undefined {
  const configured = contexts.find((c) => c.alpn !== undefined)?.alpn;
  if (configured) return [...configured];
  const proxy = spec.filters.find((f) => f.type === 'proxy')?.config as ProxyFilterSpec | undefined;
  if (!proxy) return undefined;
  const kinds = new Set(proxy.downstream.map((d) => d.kind));
  const out: string[] = [];
  if (kinds.has('http2')) out.push('h2');
  if (kinds.has('http1')) out.push('http/1.1');
  return out.length > 0 ? out : undefined;
}

/**
 * A listener's TLS for the NET/IO layer. The client-auth mode is per certificate (`tls_context_set`), node:tls's
 * switches are per connection: a certificate is asked for when any context asks, a handshake refused by OpenSSL
 * only when every context requires a verified one, and the rest checked after the handshake by the context chosen.
 */
export function serverTls(spec: ListenerSpec, tlsSpec: ListenerTlsSpec, deps: { stats: Stats; logger: Logger }): ServerTlsOptions {
  const contexts = tlsSpec.contexts.map((s) => ({ spec: s, context: secureContext(s), names: contextNames(s) }));
  const modes = contexts.map((c) => c.spec.clientAuth);
  const failed = deps.stats.counter(`listener.${spec.name}.${LISTENER_CX.downstream_tls_handshake_failed}`);
  const timedOut = deps.stats.counter(`listener.${spec.name}.${LISTENER_CX.downstream_tls_handshake_timeout}`);
  const log = deps.logger.child({ listener: spec.name });
  const alpn = listenerAlpn(spec, tlsSpec.contexts);
  return {
    contextFor: (servername) => pickContext(contexts, servername).context,
    requestCert: modes.some((m) => m !== 'none'),
    rejectUnauthorized: modes.every((m) => m === 'require_and_verify'),
    verifyPeer: (socket) => {
      const mode = pickContext(contexts, socket.servername || undefined).spec.clientAuth;
      const cert = socket.getPeerCertificate();
      const given = cert !== undefined && Object.keys(cert).length > 0;
      if ((mode === 'require_any' || mode === 'require_and_verify') && !given) return 'no client certificate';
      if ((mode === 'verify_if_given' || mode === 'require_and_verify') && given && !socket.authorized) {
        return `client certificate not verified: ${String(socket.authorizationError)}`;
      }
      return undefined;
    },
    ...(alpn ? { alpnProtocols: alpn } : {}),
    inspector: tlsSpec.inspector,
    onHandshakeError: (e) => {
      failed.inc();
      if (e.reason === 'timeout') timedOut.inc();
      logRateLimited(log, (suppressed) => ({ remote: e.remote, reason: e.reason, ...(suppressed > 0 ? { suppressed } : {}) }), `TLS handshake failed: ${e.message}`);
    },
  };
}

/** An upstream cluster's TLS for the NET/IO layer (ALPN is added per pool: `h2` for HTTP/2). */
export function clientTls(spec: TlsContextSpec, sessions: ClientTlsOptions['sessions']): ClientTlsOptions {
  return {
    secureContext: secureContext(spec),
    ...(spec.serverName !== undefined ? { servername: spec.serverName } : {}),
    rejectUnauthorized: !spec.insecureSkip,
    ...(spec.alpn !== undefined ? { alpnProtocols: [...spec.alpn] } : {}),
    ...(sessions ? { sessions } : {}),
  };
}
