import { Connection, DEFAULT_MAX_FRAME_SIZE, XClientConnection, type Address, type ClientTlsOptions, type Logger, type XFrame, type XProtocolCodec } from '@mosn/stream';
import { runCheck, type CheckSession } from './check-session.js';

const NO_KEEPALIVE = { intervalMs: 0, timeoutMs: 0, maxFailures: 0 };

/**
 * A heartbeat over the cluster's RPC protocol (`codec.heartbeatTrigger`, as Bolt and Dubbo clients send
 * them). The connection stays open between checks and is dialled again when it closed; a check that
 * times out closes it, so the next one starts afresh. Healthy when an answer comes whose status does not map
 * to a gateway error (502, 503, 504).
 */
export function rpcCheckSession(address: Address, codec: XProtocolCodec, connectTimeoutMs: number, logger: Logger, tls?: ClientTlsOptions): CheckSession {
  const trigger = codec.heartbeatTrigger;
  if (!trigger) throw new TypeError(`protocol ${codec.name} has no heartbeat`);
  let client: XClientConnection | undefined;

  // Any answer shows the server's RPC layer alive, except one whose status says it cannot serve now: busy,
  // timing out, closing (statuses the codec maps to 502, 503, 504). apache-dubbo-service answers heartbeats
  // with status 0, which is no Dubbo status (mapped to 500): that still counts (docs/health.md).
  const healthy = (response: XFrame): boolean => {
    if (response.status === undefined) return true;
    try {
      const code = codec.mapStatusToHttp(response.status);
      return code < 502 || code > 504;
    } catch {
      return false;
    }
  };

  const heartbeat = (c: XClientConnection, signal: AbortSignal): Promise<boolean> =>
    runCheck(signal, (done) => {
      const id = c.send(trigger(0), { onResponse: (r) => done(healthy(r)), onReset: () => done(false) });
      return () => {
        c.cancel(id);
        c.connection.close('now');
      };
    });

  const connect = (signal: AbortSignal): Promise<XClientConnection | undefined> =>
    new Promise((resolve) => {
      const conn = Connection.dial(address, { connectTimeoutMs, logger, ...(tls ? { tls } : {}) });
      void runCheck(signal, (done) => {
        conn.on('event', (ev) => {
          if (ev === 'connected') done(true);
          else if (ev === 'connect_failed' || ev === 'connect_timeout') done(false);
        });
        return () => conn.close('now');
      }).then((ok) => {
        if (!ok) return resolve(undefined);
        const c = new XClientConnection(conn, codec, { maxFrameSize: DEFAULT_MAX_FRAME_SIZE, keepalive: NO_KEEPALIVE });
        c.start();
        resolve(c);
      });
    });

  return {
    async check(signal) {
      if (!client?.usable) {
        client?.connection.close('now');
        client = await connect(signal);
        if (!client) return false;
        if (signal.aborted) {
          client.connection.close('now');
          client = undefined;
          return false;
        }
      }
      return heartbeat(client, signal);
    },
    close() {
      client?.connection.close('now');
      client = undefined;
    },
  };
}
