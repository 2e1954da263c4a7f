import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest, buildResponse, exampleCodec, type ExampleFrame } from '@mosn/protocol-example';
import { IoBuffer, Mosn, defaultExtensions, isDecodeError, loadConfigFile, loadThirdPartCodecs, silentLogger } from 'mosn';
import { REPO_ROOT, cluster, port, waitUntil } from '../helpers.js';

// Access logs on a protocol mosn does not know: the example codec loaded from npm by the config
// (`third_part_codec`), client → mosn (in this process) → a server of the example protocol. A line per request,
// including mosn's own answers (no route, timeout) with the response flag set.

const DIST = join(REPO_ROOT, 'packages/protocol-example/dist/index.js');
const LIMITS = { maxFrameSize: 1024 * 1024 };
const FORMAT = '%protocol%|%response_code%|%bytes_received%|%bytes_sent%|%upstream_host%|%response_flag%|%upstream_transport_failure_reason%|%request_header_service%|%stream_id%|%duration%';

function frames(socket: net.Socket, onFrame: (f: ExampleFrame) => void): void {
  const buffer = new IoBuffer();
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => {
    buffer.append(chunk);
    for (let f = exampleCodec.decode(buffer, LIMITS); f !== undefined; f = exampleCodec.decode(buffer, LIMITS)) {
      if (isDecodeError(f)) return void socket.destroy();
      onFrame(f);
    }
  });
}

let dir: string;
let mosn: Mosn;
let server: net.Server;
let upstream: string;
const logFile = () => join(dir, 'access.log');

beforeAll(async () => {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: build it first (npx tsc -b packages/protocol-example)`);
  dir = mkdtempSync(join(REPO_ROOT, 'test-e2e', '.tmp-access-log-'));
  server = net.createServer((socket) => {
    frames(socket, (f) => {
      if (f.isHeartbeat()) socket.write(Buffer.concat(exampleCodec.encode(exampleCodec.heartbeatReply(f))));
      else if (f.header.get('service') === 'echo') socket.write(Buffer.concat(exampleCodec.encode(buildResponse(f.requestId, { body: `echo:${f.body.toString()}` }))));
      // 'slow' is never answered
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  upstream = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const route = (service: string) => ({ match: { headers: [{ name: 'service', value: service }] }, route: { cluster_name: 'svc', timeout: '200ms' } });
  const config = {
    servers: [
      {
        default_log_path: 'stderr',
        default_log_level: 'ERROR',
        routers: [{ router_config_name: 'r', virtual_hosts: [{ name: 'vh', domains: ['*'], routers: [route('echo'), route('slow')] }] }],
        listeners: [
          {
            name: 'example',
            address: '127.0.0.1:0',
            bind_port: true,
            filter_chains: [{ filters: [{ type: 'proxy', config: { downstream_protocol: 'example', router_config_name: 'r' } }] }],
            access_logs: [{ log_path: logFile(), log_format: FORMAT }],
          },
        ],
      },
    ],
    cluster_manager: { clusters: [cluster('svc', [upstream])] },
    third_part_codec: { codecs: [{ enable: true, type: 'npm', path: '@mosn/protocol-example', loader_func_name: 'codec' }] },
  };
  const file = join(dir, 'mosn.json');
  writeFileSync(file, JSON.stringify(config));
  const raw = loadConfigFile(file);
  const extensions = defaultExtensions();
  const loaded = await loadThirdPartCodecs(raw, extensions, dir);
  expect(loaded.errors).toEqual([]);
  mosn = new Mosn({ config: raw, logger: silentLogger, extensions });
  await mosn.start();
});

afterAll(async () => {
  await mosn?.stop(0);
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('access logs on a plug-in codec (the example protocol)', () => {
  it('one line per request: served, no route (404), timeout (504), with what the client saw', async () => {
    const socket = net.connect(port(mosn.listenerAddress('example')), '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const got = new Map<number, ExampleFrame>();
    frames(socket, (f) => got.set(f.requestId, f));
    const send = (f: ExampleFrame) => socket.write(Buffer.concat(exampleCodec.encode(f)));
    const echo = buildRequest({ requestId: 1, header: { service: 'echo' }, body: 'hello' });
    send(echo);
    send(buildRequest({ requestId: 2, header: { service: 'missing' } }));
    send(buildRequest({ requestId: 3, header: { service: 'slow' }, body: 'zz' }));
    await waitUntil(() => got.size === 3, 5000, 'three answers');
    socket.destroy();
    let text = '';
    await waitUntil(() => existsSync(logFile()) && (text = readFileSync(logFile(), 'utf8')).split('\n').length - 1 >= 3, 5000, 'three lines', () => text);
    const lines = new Map(
      text
        .trimEnd()
        .split('\n')
        .map((l) => l.split('|'))
        .map((f) => [Number(f[8]), f] as const),
    );
    const status = (id: number) => String(exampleCodec.mapStatusToHttp(got.get(id)!.status!));
    expect(lines.get(1)!.slice(0, 9)).toEqual(['example', status(1), '5', String(got.get(1)!.body.length), upstream, 'false', '-', 'echo', '1']);
    expect(lines.get(2)!.slice(0, 9)).toEqual(['example', '404', '0', '0', '-', 'true', 'no_route', 'missing', '2']);
    expect(status(2)).toBe('404');
    expect(lines.get(3)!.slice(0, 9)).toEqual(['example', '504', '2', '0', upstream, 'true', 'timeout', 'slow', '3']);
    for (const l of lines.values()) expect(l[9]).toMatch(/^\d+(\.\d+)?(ns|µs|ms|s)$/);
  });
});
