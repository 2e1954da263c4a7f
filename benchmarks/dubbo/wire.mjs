// Dubbo frames for the benchmark, built with @mosn/protocol-dubbo (its built dist: run `npx tsc -b` first).
// Header (16 bytes): magic:2 flag:1 status:1 request id:8 body length:4 (see the package's types.ts).
import {
  DubboStatus,
  FLAG_EVENT,
  FLAG_REQUEST,
  HEADER_LENGTH,
  buildFrame,
  dubboCodec,
  encodeRequestBody,
  encodeResponseBody,
} from '../../packages/protocol-dubbo/dist/index.js';

const STATUS_OFFSET = 3;
const ID_OFFSET = 4; // 8 bytes, big-endian; our ids stay below 2^32
const BODY_LENGTH_OFFSET = 12;
export const SERVICE = 'org.example.bench.Echo';

/** `make(n)` padded with `n` so that the result is `bytes` long (or as close as a short body allows). */
function sized(bytes, make) {
  let n = bytes;
  for (let i = 0; i < 8; i++) {
    const length = make(Math.max(0, n)).length;
    if (length === bytes) break;
    n += bytes - length;
  }
  return make(Math.max(0, n));
}

/** A hessian2 invocation `echo(String)` with the usual attachments, `bodyBytes` long in all. */
export function dubboRequest(bodyBytes) {
  const body = sized(bodyBytes, (n) =>
    encodeRequestBody({
      service: SERVICE,
      version: '1.0.0',
      method: 'echo',
      parameterTypes: 'Ljava/lang/String;',
      args: ['a'.repeat(n)],
      attachments: { path: SERVICE, interface: SERVICE, version: '1.0.0', timeout: 3000 },
    }),
  );
  return buildFrame({ kind: 'request', requestId: 0, body });
}

/** The server's answer template: a hessian2 string value, `bodyBytes` long; sent under each request's id. */
export function dubboResponse(bodyBytes) {
  return buildFrame({ kind: 'response', requestId: 0, body: sized(bodyBytes, (n) => encodeResponseBody('b'.repeat(n))) });
}

/** The loadgen's wire object (see ../bolt/rpc-load.mjs). */
export function dubboWire(bodyBytes) {
  return {
    request: Buffer.concat(dubboCodec.encode(dubboRequest(bodyBytes))),
    writeId(b, at, id) {
      b.writeUInt32BE(0, at + ID_OFFSET);
      b.writeUInt32BE(id, at + ID_OFFSET + 4);
    },
    frameLength(b, at, n) {
      if (n < HEADER_LENGTH) return -1;
      if (b[at] !== 0xda || b[at + 1] !== 0xbb) throw new Error(`not a Dubbo frame (bytes ${b.subarray(at, at + 4).toString('hex')})`);
      return HEADER_LENGTH + b.readUInt32BE(at + BODY_LENGTH_OFFSET);
    },
    inspect(b, at) {
      const flag = b[at + 2];
      if ((flag & FLAG_REQUEST) !== 0) throw new Error('a Dubbo request arrived at the client');
      if ((flag & FLAG_EVENT) !== 0) return 'skip';
      return b[at + STATUS_OFFSET] === DubboStatus.OK ? 'ok' : 'error';
    },
    responseId: (b, at) => b.readUInt32BE(at + ID_OFFSET + 4),
  };
}
