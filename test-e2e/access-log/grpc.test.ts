import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, cluster, startMosnWithCleanup, waitUntil } from '../helpers.js';

// Access logs of gRPC (grpc-js client and server, h2c through mosn in this process): one line per call, HTTP/2's
// 200 as the response code (the gRPC status is in the trailers), the call's path and its metadata as headers.

const cleanups = cleanupAfterEach();

const PROTO = `syntax = "proto3";
package e2e;
service Echo { rpc Unary (Msg) returns (Msg); }
message Msg { string text = 1; }
`;

describe('access logs of gRPC', () => {
  it('one line per call with the path, metadata, code and upstream host', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mosn-access-log-grpc-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'echo.proto'), PROTO);
    const def = grpc.loadPackageDefinition(protoLoader.loadSync(join(dir, 'echo.proto'))) as any;
    const server = new grpc.Server();
    server.addService(def.e2e.Echo.service, {
      Unary(call: grpc.ServerUnaryCall<{ text: string }, { text: string }>, cb: grpc.sendUnaryData<{ text: string }>) {
        if (call.request.text === 'fail') return cb({ code: grpc.status.INVALID_ARGUMENT, details: 'no' });
        cb(null, { text: `echo:${call.request.text}` });
      },
    });
    const upPort = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, port) => (e ? rej(e) : res(port))));
    cleanups.push(() => server.forceShutdown());
    const log = join(dir, 'access.log');
    const { p } = await startMosnWithCleanup(
      {
        servers: [
          {
            default_log_path: 'stderr',
            default_log_level: 'ERROR',
            routers: [{ router_config_name: 'r', virtual_hosts: [{ name: 'vh', domains: ['*'], routers: [{ match: { prefix: '/' }, route: { cluster_name: 'g' } }] }] }],
            listeners: [
              {
                name: 'l',
                address: '127.0.0.1:0',
                bind_port: true,
                filter_chains: [{ filters: [{ type: 'proxy', config: { downstream_protocol: 'Http2', upstream_protocol: 'Http2', router_config_name: 'r' } }] }],
                access_logs: [{ log_path: log, log_format: '%protocol% %Http2_request_path% %response_code% %request_header_x-tenant% %response_header_content-type% %upstream_host% %bytes_received%' }],
              },
            ],
          },
        ],
        cluster_manager: { clusters: [cluster('g', [`127.0.0.1:${upPort}`])] },
      },
      cleanups,
    );
    const client = new def.e2e.Echo(`127.0.0.1:${p}`, grpc.credentials.createInsecure());
    cleanups.push(() => client.close());
    const call = (text: string) =>
      new Promise<{ err: grpc.ServiceError | null; res?: { text: string } }>((resolve) => {
        const md = new grpc.Metadata();
        md.set('x-tenant', `t-${text}`);
        client.Unary({ text }, md, (err: grpc.ServiceError | null, res?: { text: string }) => resolve({ err, ...(res ? { res } : {}) }));
      });
    expect((await call('hi')).res?.text).toBe('echo:hi');
    expect((await call('fail')).err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    let text = '';
    await waitUntil(() => existsSync(log) && (text = readFileSync(log, 'utf8')).split('\n').length - 1 >= 2, 5000, 'two lines', () => text);
    const lines = text.trimEnd().split('\n').map((l) => l.split(' '));
    expect(lines.map((l) => l.slice(0, 6))).toEqual([
      ['Http2', '/e2e.Echo/Unary', '200', 't-hi', 'application/grpc+proto', `127.0.0.1:${upPort}`],
      ['Http2', '/e2e.Echo/Unary', '200', 't-fail', 'application/grpc+proto', `127.0.0.1:${upPort}`],
    ]);
    // a gRPC message: 5 bytes of framing and the protobuf (field 1, length, "hi")
    expect(lines[0]![6]).toBe(String(5 + 2 + 'hi'.length));
  });
});
