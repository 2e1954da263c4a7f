#!/usr/bin/env node
// A minimal gRPC unary echo server over h2c for the benchmark, on node:http2 (no gRPC library, so the backend
// costs little): every POST whose body is one well-formed gRPC message frame (flag 0, 4-byte length) is answered
// 200, `content-type: application/grpc`, the same message back, and trailers `grpc-status: 0`; anything else gets
// `grpc-status: 3` (INVALID_ARGUMENT). `GET /stats` answers {"ok", "bad", "connections"}: calls answered each way
// and HTTP/2 connections accepted.
//   node server.mjs <port>
import http2 from 'node:http2';

const port = Number(process.argv[2]);
const stats = { ok: 0, bad: 0, connections: 0 };

const server = http2.createServer({ settings: { maxConcurrentStreams: 1000 } });
server.on('session', () => stats.connections++);
server.on('stream', (stream, headers) => {
  stream.on('error', () => {});
  if (headers[':method'] === 'GET' && headers[':path'] === '/stats') {
    stream.respond({ ':status': 200, 'content-type': 'application/json' });
    return void stream.end(JSON.stringify(stats));
  }
  const chunks = [];
  stream.on('data', (c) => chunks.push(c));
  stream.on('end', () => {
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    const good = headers['content-type']?.startsWith('application/grpc') && body.length >= 5 && body[0] === 0 && body.readUInt32BE(1) === body.length - 5;
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers(good ? { 'grpc-status': '0' } : { 'grpc-status': '3', 'grpc-message': 'expected one gRPC message frame' }));
    if (good) {
      stats.ok++;
      stream.end(body);
    } else {
      stats.bad++;
      stream.end();
    }
  });
});
server.listen(port, '127.0.0.1', () => console.log(`grpc echo on 127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
