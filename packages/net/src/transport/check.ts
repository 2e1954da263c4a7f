import net from 'node:net';
import type { InternalCheck, InternalCheckResult } from '../internal-check.js';
import { HandleTransport } from './handle-transport.js';
import { adoptableHandle, disableHandleTransport, libuvBinding } from './libuv-binding.js';

const INTERNAL = "process.binding('stream_wrap') (libuv stream handles driven directly)";
const INSTEAD = 'net.Socket for every connection';
const PING = Buffer.from('mosn self-test: echo these bytes\n', 'latin1');
const TIMEOUT_MS = 2000;

/**
 * The libuv handle transport (`HandleTransport`): a loopback connection's accepted socket is adopted, reads into
 * the shared read buffer, echoes what it reads and half-closes after it; the client must get the same bytes and
 * the end. Where that fails, every connection goes through `net.Socket` from then on (`MOSN_NET_TRANSPORT=socket`
 * chooses that without a check).
 */
export const libuvHandleCheck: InternalCheck = {
  name: 'libuv_stream_handle',
  async run(): Promise<InternalCheckResult> {
    if (process.env.MOSN_NET_TRANSPORT === 'socket') return { internal: INTERNAL, status: 'off', instead: INSTEAD };
    const problem = libuvBinding() ? await echoProblem() : 'the binding is missing or has changed';
    if (problem === undefined) return { internal: INTERNAL, status: 'ok' };
    disableHandleTransport();
    return { internal: INTERNAL, status: 'failed', problem, instead: INSTEAD };
  },
};

/** Echo PING through an adopted handle: undefined when it came back whole, else what went wrong. */
async function echoProblem(): Promise<string | undefined> {
  const server = net.createServer({ allowHalfOpen: true });
  let client: net.Socket | undefined;
  let transport: HandleTransport | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as net.AddressInfo;
    return await new Promise<string | undefined>((resolve) => {
      timer = setTimeout(() => resolve(`no echo within ${TIMEOUT_MS} ms`), TIMEOUT_MS);
      server.once('connection', (socket) => {
        try {
          const handle = adoptableHandle(socket);
          if (!handle) return resolve("an accepted TCP socket's handle cannot be adopted");
          const t = (transport = HandleTransport.adopt(socket, handle));
          t.useSharedReadBuffer();
          let got = 0;
          t.start({
            data: (chunk) => {
              got += chunk.length;
              t.write([chunk]);
              if (got >= PING.length) t.end();
            },
            end: () => {},
            drain: () => {},
            error: (err) => resolve(`the adopted handle failed: ${err.message}`),
            close: () => {},
            timeout: () => {},
          });
          t.resume();
        } catch (e) {
          resolve(`adopting the handle threw: ${(e as Error).message}`);
        }
      });
      const c = (client = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true }));
      const echoed: Buffer[] = [];
      c.on('data', (chunk: Buffer) => echoed.push(chunk));
      c.on('end', () => resolve(Buffer.concat(echoed).equals(PING) ? undefined : `the echo came back as ${JSON.stringify(Buffer.concat(echoed).toString('latin1'))}`));
      c.on('error', (err) => resolve(`the client's connection failed: ${err.message}`));
      c.end(PING);
    });
  } catch (e) {
    return `the loopback listener failed: ${(e as Error).message}`;
  } finally {
    clearTimeout(timer);
    transport?.destroy();
    client?.destroy();
    server.close();
  }
}
