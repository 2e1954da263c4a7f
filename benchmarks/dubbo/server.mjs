#!/usr/bin/env node
// A Dubbo echo provider for the benchmark: decodes requests with the codec and answers each with a status-20
// response of the same id carrying a `body`-byte hessian2 string (the codec patches the id into a copy of one
// prebuilt response); answers heartbeats. All the answers to one socket read go out in one write.
//   node server.mjs <port> [body bytes, default 1024]
import net from 'node:net';
import { IoBuffer, dubboCodec, isDecodeError } from '../../packages/protocol-dubbo/dist/index.js';
import { dubboResponse } from './wire.mjs';

const port = Number(process.argv[2]);
const template = dubboResponse(Number(process.argv[3] ?? 1024));
const decodeOptions = { maxFrameSize: 16 * 1024 * 1024 };

const server = net.createServer({ noDelay: true }, (socket) => {
  const buffer = new IoBuffer();
  socket.on('error', () => {});
  socket.on('data', (chunk) => {
    buffer.append(chunk);
    const out = [];
    for (;;) {
      const frame = dubboCodec.decode(buffer, decodeOptions);
      if (frame === undefined) break;
      if (isDecodeError(frame)) return void socket.destroy();
      if (frame.kind !== 'request' || frame.isOneWay() || frame.isGoAway()) continue;
      const answer = frame.isHeartbeat() ? dubboCodec.heartbeatReply(frame) : dubboCodec.withRequestId(template, frame.requestId);
      for (const bytes of dubboCodec.encode(answer)) out.push(bytes);
    }
    if (out.length === 1) socket.write(out[0]);
    else if (out.length > 1) socket.write(Buffer.concat(out));
  });
});
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
