import http2, { type Http2Session } from 'node:http2';
import net from 'node:net';
import type { InternalCheck, InternalCheckResult } from '@mosn/protocol';
import { disableNghttp2Ended, nghttp2Ended } from './ended.js';

const INTERNAL = "the HTTP/2 session's native handle (kHandle.hasPendingData), to find sessions nghttp2 ended";
const INSTEAD = 'the connection idle timeout closes such sessions';
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const EMPTY_SETTINGS = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);
/** A SETTINGS frame of 5 bytes (not a multiple of 6): a connection error, answered with GOAWAY (FRAME_SIZE_ERROR). */
const BAD_SETTINGS = Buffer.from([0, 0, 5, 4, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5]);
const GOAWAY = 7;
const TIMEOUT_MS = 2000;

/**
 * `nghttp2Ended` (ended.ts): on a loopback h2c session a raw client sends the preface; the server's session must
 * read as not ended; then the client sends a malformed SETTINGS frame, nghttp2 answers GOAWAY, and the session
 * must read as ended. Where that fails, `nghttp2Ended` answers `undefined` from then on.
 */
export const http2SessionHandleCheck: InternalCheck = {
  name: 'http2_session_handle',
  async run(): Promise<InternalCheckResult> {
    const problem = await sessionHandleProblem(nghttp2Ended);
    if (problem === undefined) return { internal: INTERNAL, status: 'ok' };
    disableNghttp2Ended();
    return { internal: INTERNAL, status: 'failed', problem, instead: INSTEAD };
  },
};

/** Undefined when `ended` reads a live session as not ended and one nghttp2 ended as ended, else what it read. */
export async function sessionHandleProblem(ended: (session: Http2Session) => boolean | undefined): Promise<string | undefined> {
  const server = http2.createServer();
  let client: net.Socket | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as net.AddressInfo;
    return await new Promise<string | undefined>((resolve) => {
      timer = setTimeout(() => resolve(`no GOAWAY within ${TIMEOUT_MS} ms`), TIMEOUT_MS);
      let session: Http2Session | undefined;
      server.once('session', (s) => {
        session = s;
        s.on('error', () => {}); // the bad frame's error: expected
        s.once('remoteSettings', () => {
          const live = ended(s);
          if (live !== false) return resolve(`a live session read as ${describe(live)}`);
          client!.write(BAD_SETTINGS);
        });
      });
      const c = (client = net.connect({ host: '127.0.0.1', port }));
      let received = Buffer.alloc(0);
      c.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        if (!hasFrame(received, GOAWAY) || !session) return;
        const after = ended(session);
        resolve(after === true ? undefined : `a session nghttp2 ended (GOAWAY sent) read as ${describe(after)}`);
      });
      c.on('error', (err) => resolve(`the client's connection failed: ${err.message}`));
      c.write(Buffer.concat([PREFACE, EMPTY_SETTINGS]));
    });
  } catch (e) {
    return `the loopback h2c server failed: ${(e as Error).message}`;
  } finally {
    clearTimeout(timer);
    client?.destroy();
    server.close();
  }
}

function describe(v: boolean | undefined): string {
  return v === undefined ? 'unknown (no kHandle with hasPendingData)' : v ? 'ended' : 'not ended';
}

/** Whether the frames the server sent so far (`bytes`, from the first) include a whole one of this type. */
function hasFrame(bytes: Buffer, type: number): boolean {
  for (let i = 0; i + 9 <= bytes.length; i += 9 + bytes.readUIntBE(i, 3)) {
    if (bytes[i + 3] === type && i + 9 + bytes.readUIntBE(i, 3) <= bytes.length) return true;
  }
  return false;
}
