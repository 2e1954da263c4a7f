import http from 'node:http';
import https from 'node:https';
import { formatAddress, type Address, type ClientTlsOptions } from '@mosn/stream';
import { runCheck, type CheckSession } from './check-session.js';
import { statusMatches, type HttpCheckConfig } from './health-check-config.js';

const USER_AGENT = 'mosn-ts-health-check';

/**
 * An HTTP/1.1 request on a fresh connection (`Connection: close`); healthy when the response status is in
 * `codes` (only 200 by default). The body is not read: the connection is closed once the status is in.
 */
export function httpCheckSession(address: Address, config: HttpCheckConfig, tls?: ClientTlsOptions): CheckSession {
  const target: http.RequestOptions =
    'path' in address ? { socketPath: address.path } : { host: address.host, port: config.port || address.port };
  const hostHeader =
    config.domain ?? ('path' in address ? 'localhost' : formatAddress({ host: address.host, port: config.port || address.port }));
  const options: http.RequestOptions = {
    ...target,
    method: config.method,
    path: config.path,
    agent: false,
    headers: { host: hostHeader, 'user-agent': USER_AGENT, connection: 'close' },
    // a TLS cluster is checked over TLS, with its certificates and name check
    ...(tls ? { secureContext: tls.secureContext, rejectUnauthorized: tls.rejectUnauthorized, ...(tls.servername ? { servername: tls.servername } : {}) } : {}),
  };
  const request = tls ? https.request : http.request;
  return {
    check: (signal) =>
      runCheck(signal, (done) => {
        const req = request(options, (res) => {
          res.on('error', () => {});
          done(statusMatches(config.codes, res.statusCode ?? 0));
          req.destroy();
        });
        req.on('error', () => done(false));
        if (config.timeoutMs !== undefined) {
          req.setTimeout(config.timeoutMs, () => {
            done(false);
            req.destroy();
          });
        }
        req.end();
        return () => req.destroy();
      }),
    close() {},
  };
}
