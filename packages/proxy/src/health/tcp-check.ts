import { Connection, type Address } from '@mosn/stream';
import { runCheck, type CheckSession } from './check-session.js';

/** MOSN's default check: connect, then close at once. Healthy when the connect succeeds. */
export function tcpCheckSession(address: Address, connectTimeoutMs: number): CheckSession {
  return {
    check: (signal) =>
      runCheck(signal, (done) => {
        const conn = Connection.dial(address, { connectTimeoutMs });
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
