import { Connection, type Address, type ClientTlsOptions } from '@mosn/stream';
import { runCheck, type CheckSession } from './check-session.js';

/** MOSN's default check: connect (with the cluster's TLS: the handshake too), then close at once. Healthy when it succeeds. */
export function tcpCheckSession(address: Address, connectTimeoutMs: number, tls?: ClientTlsOptions): CheckSession {
  return {
    check: (signal) =>
      runCheck(signal, (done) => {
        const conn = Connection.dial(address, { connectTimeoutMs, ...(tls ? { tls } : {}) });
        conn.on('event', (ev) => {
          if (ev === 'connected') {
            conn.close('now');
            done(true);
          } else if (ev === 'connect_failed' || ev === 'connect_timeout') done(false);
        });
        return () => conn.close('now');
      }),
    close() {},
  };
}
