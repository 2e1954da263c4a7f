// Bolt v1 frames for the benchmark, built with @mosn/protocol-bolt (its built dist: run `npx tsc -b` first).
import { BoltStatus, CMD_CODE_HEARTBEAT, CMD_TYPE_RESPONSE, PROTO_V1, boltCodec, buildFrame } from '../../packages/protocol-bolt/dist/index.js';

export const SERVICE = 'com.example.bench.Echo:1.0';

/** A SOFARPC-shaped request: class name, the usual header keys, `bodyBytes` of opaque content. */
export function boltRequest(bodyBytes) {
  return buildFrame({
    version: 1,
    kind: 'request',
    requestId: 0,
    timeout: 3000,
    className: 'com.alipay.sofa.rpc.core.request.SofaRequest',
    header: [
      ['service', SERVICE],
      ['sofa_head_target_service', SERVICE],
      ['sofa_head_method_name', 'echo'],
      ['sofa_head_target_app', 'bench'],
    ],
    body: Buffer.alloc(bodyBytes, 0x61),
  });
}

/** The server's answer template: `bodyBytes` of content; the server sends it under each request's id. */
export function boltResponse(bodyBytes) {
  return buildFrame({
    version: 1,
    kind: 'response',
    requestId: 0,
    className: 'com.alipay.sofa.rpc.core.response.SofaResponse',
    body: Buffer.alloc(bodyBytes, 0x62),
  });
}

/** The loadgen's wire object (see rpc-load.mjs): offsets taken from the codec's own frame layouts. */
export function boltWire(bodyBytes) {
  const request = boltRequest(bodyBytes);
  const req = request.layout;
  const res = boltResponse(0).layout;
  return {
    request: Buffer.concat(boltCodec.encode(request)),
    writeId: (b, at, id) => b.writeUInt32BE(id, at + req.requestId),
    frameLength(b, at, n) {
      if (n < res.size) return -1;
      if (b[at] !== PROTO_V1 || b[at + res.cmdType] !== CMD_TYPE_RESPONSE) throw new Error(`not a Bolt v1 response (bytes ${b.subarray(at, at + 4).toString('hex')})`);
      return res.size + b.readUInt16BE(at + res.classLen) + b.readUInt16BE(at + res.headerLen) + b.readUInt32BE(at + res.contentLen);
    },
    inspect(b, at) {
      if (b.readUInt16BE(at + res.cmdCode) === CMD_CODE_HEARTBEAT) return 'skip';
      return b.readUInt16BE(at + res.status) === BoltStatus.SUCCESS ? 'ok' : 'error';
    },
    responseId: (b, at) => b.readUInt32BE(at + res.requestId),
  };
}
