import http2 from 'node:http2';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, closedPort, cluster } from '../helpers.js';
import { mosnJson, pathRouter, proxyListener, startMosnProcess } from '../reload/support.js';

// The `grpc_metric` filter with mosn as its own process (the built CLI): a grpc-js client → mosn (h2c) → a grpc-js
// server. Each call is counted per service and method once its gRPC status is known, whether it came in the
// trailers or in a trailers-only answer; the counters are read from the admin API.

const cleanups = cleanupAfterEach();

const PROTO = `syntax = "proto3";
package e2e;
service Echo {
  rpc Unary (Msg) returns (Msg);
  rpc Count (Msg) returns (stream Msg);
  rpc Missing (Msg) returns (Msg);
}
service Other { rpc Ping (Msg) returns (Msg); }
message Msg { string text = 1; int32 n = 2; }
`;

interface Msg {
  text?: string;
  n?: number;
}
type CallFn = (...args: any[]) => any;

/** A grpc-js server (Echo without `Missing`, Other) behind mosn with grpc_metric on listener `l`; clients of mosn. */
async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'mosn-grpc-metric-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'echo.proto'), PROTO);
  const def = grpc.loadPackageDefinition(protoLoader.loadSync(join(dir, 'echo.proto'))) as any;
  const server = new grpc.Server();
  server.addService(def.e2e.Echo.service, {
    Unary(call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) {
      const text = call.request.text ?? '';
      // before any response header: grpc-js answers trailers-only
      if (text === 'fail') return cb({ code: grpc.status.INVALID_ARGUMENT, details: 'no' });
      if (text === 'fail-late') {
        // response headers first, then the status in the trailers
        call.sendMetadata(new grpc.Metadata());
        return setTimeout(() => cb({ code: grpc.status.NOT_FOUND, details: 'gone' }), 10);
      }
      cb(null, { text: `echo:${text}` });
    },
    Count(call: grpc.ServerWritableStream<Msg, Msg>) {
      for (let i = 0; i < (call.request.n ?? 0); i++) call.write({ n: i });
      call.end();
    },
    // Missing is not implemented: grpc-js answers UNIMPLEMENTED
  });
  server.addService(def.e2e.Other.service, {
    Ping: (_call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => cb(null, { text: 'pong' }),
  });
  const upPort = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, port) => (e ? rej(e) : res(port))));
  cleanups.push(() => server.forceShutdown());
  const [port, admin] = [await closedPort(), await closedPort()];
  const listener = { ...proxyListener('l', port, 'Http2', 'r', { upstream: 'Http2' }), stream_filters: [{ type: 'grpc_metric' }] };
  const mosn = await startMosnProcess(mosnJson({ admin, logLevel: 'WARN', listeners: [listener], routers: [pathRouter('r', 'g')], clusters: [cluster('g', [`127.0.0.1:${upPort}`])] }), cleanups);
  const echo = new def.e2e.Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as grpc.Client & { Unary: CallFn; Count: CallFn; Missing: CallFn };
  const other = new def.e2e.Other(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as grpc.Client & { Ping: CallFn };
  cleanups.push(() => echo.close(), () => other.close());
  return { mosn, port, echo, other };
}

/** A unary call's status code (0: OK). */
function unary(fn: CallFn, client: grpc.Client, m: Msg): Promise<number> {
  return new Promise((resolve) => fn.call(client, m, (err: grpc.ServiceError | null) => resolve(err ? err.code : grpc.status.OK)));
}

/** The stats of `listener`'s gRPC service/method pairs: `<service>.<method>.<stat>` → value. */
function grpcStats(stats: Record<string, number>, listener: string): Record<string, number> {
  const prefix = `listener.${listener}.grpc.`;
  return Object.fromEntries(Object.entries(stats).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
}

describe('grpc_metric', () => {
  it('counts OK and failing calls per service and method, from the trailers or a trailers-only answer', async () => {
    const { mosn, echo, other } = await setup();
    const codes: number[] = [];
    for (const text of ['a', 'b', 'c', 'fail', 'fail-late']) codes.push(await unary(echo.Unary, echo, { text }));
    codes.push(await unary(echo.Missing, echo, {}));
    codes.push(await unary(other.Ping, other, {}));
    const streamed = await new Promise<number>((resolve, reject) => {
      let n = 0;
      const call = echo.Count({ n: 3 });
      call.on('data', () => n++);
      call.on('error', reject);
      call.on('end', () => resolve(n));
    });
    expect([codes, streamed]).toEqual([[0, 0, 0, grpc.status.INVALID_ARGUMENT, grpc.status.NOT_FOUND, grpc.status.UNIMPLEMENTED, 0], 3]);
    const stats = await mosn.waitStats((s) => s['listener.l.grpc.e2e.Echo.Count.request_total'] === 1, 5000, 'the streaming call counted');
    expect(grpcStats(stats, 'l')).toEqual({
      'e2e.Echo.Unary.request_total': 5,
      'e2e.Echo.Unary.response_succ_total': 3,
      'e2e.Echo.Unary.response_fail_total': 2,
      'e2e.Echo.Missing.request_total': 1,
      'e2e.Echo.Missing.response_fail_total': 1,
      'e2e.Echo.Count.request_total': 1,
      'e2e.Echo.Count.response_succ_total': 1,
      'e2e.Other.Ping.request_total': 1,
      'e2e.Other.Ping.response_succ_total': 1,
    });
  });

  it('an HTTP/2 request that is not a gRPC call is not counted', async () => {
    const { mosn, port } = await setup();
    const session = http2.connect(`http://127.0.0.1:${port}`);
    cleanups.push(() => session.destroy());
    session.on('error', () => {});
    const status = await new Promise<number>((resolve, reject) => {
      const req = session.request({ ':path': '/e2e.Echo/Unary', ':method': 'POST', 'content-type': 'application/json' });
      let s = 0;
      req.on('response', (h) => (s = Number(h[':status'])));
      req.on('error', reject);
      req.on('end', () => resolve(s));
      req.resume();
      req.end('{}');
    });
    // grpc-js answers a request that is not gRPC with 415
    expect(status).toBe(415);
    const stats = await mosn.stats();
    expect([grpcStats(stats, 'l'), stats['listener.l.grpc_stats_overflow'], stats['listener.l.downstream_rq_total']]).toEqual([{}, undefined, 1]);
  });
});
