import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExampleStatus, buildRequest, buildResponse, exampleCodec, type ExampleFrame } from '@mosn/protocol-example';
import { IoBuffer, Mosn, defaultExtensions, isDecodeError, loadConfigFile, loadThirdPartCodecs, readConfig, silentLogger } from 'mosn';
import { REPO_ROOT, cluster, port } from './helpers.js';

// client → mosn → server over the example protocol, which mosn does not know: the config loads it from npm
// (`third_part_codec`, type npm), resolved from the config file's folder, as a user's own protocol would be.

const DIST = join(REPO_ROOT, 'packages/protocol-example/dist/index.js');
const LIMITS = { maxFrameSize: 1024 * 1024 };

/** A connection that speaks the example protocol: frames out, decoded frames in. */
interface Peer {
  socket: net.Socket;
  frames: ExampleFrame[];
  send(frame: ExampleFrame): void;
  /** The next frame not yet returned by `next`. */
  next(): Promise<ExampleFrame>;
  closed: Promise<void>;
}

function peer(socket: net.Socket): Peer {
  const buffer = new IoBuffer();
  const frames: ExampleFrame[] = [];
  let read = 0;
  let wake = () => {};
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => {
    buffer.append(chunk);
    for (let f = exampleCodec.decode(buffer, LIMITS); f !== undefined; f = exampleCodec.decode(buffer, LIMITS)) {
      if (isDecodeError(f)) return void socket.destroy();
      frames.push(f);
      wake();
    }
  });
  const closed = new Promise<void>((r) => socket.on('close', () => r()));
  return {
    socket,
    frames,
    send: (frame) => void socket.write(Buffer.concat(exampleCodec.encode(frame))),
    async next() {
      while (frames.length <= read) {
        const more = new Promise<void>((r) => (wake = r));
        await Promise.race([more, closed.then(() => Promise.reject(new Error('closed before a frame came')))]);
      }
      return frames[read++]!;
    },
    closed,
  };
}

async function connect(p: number): Promise<Peer> {
  const socket = net.connect(p, '127.0.0.1');
  await new Promise((r, j) => socket.once('connect', r).once('error', j));
  return peer(socket);
}

/**
 * The upstream service: `echo` answers `echo:<body>` with the id mosn sent it, `slow` never answers,
 * and it answers heartbeats itself (mosn's keepalive).
 */
async function exampleServer(): Promise<{ address: string; received: ExampleFrame[]; close(): void }> {
  const received: ExampleFrame[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const p = peer(socket);
    socket.on('data', () => {
      for (const f of p.frames.splice(0)) {
        received.push(f);
        if (f.isHeartbeat()) p.send(exampleCodec.heartbeatReply(f));
        else if (f.header.get('service') === 'echo' && !f.isOneWay()) {
          p.send(buildResponse(f.requestId, { header: { served: 'yes' }, body: `echo:${f.body.toString()}` }));
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    received,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/** A MOSN config with a listener speaking `example` and routes on the `service` header. */
function configWith(codecs: unknown[], upstream: string): unknown {
  const route = (service: string, extra: Record<string, unknown> = {}) => ({
    match: { headers: [{ name: 'service', value: service }] },
    route: { cluster_name: 'example_service', ...extra },
  });
  return {
    servers: [
      {
        default_log_path: 'stderr',
        default_log_level: 'ERROR',
        routers: [{ router_config_name: 'r', virtual_hosts: [{ name: 'vh', domains: ['*'], routers: [route('echo'), route('slow', { timeout: '10s' })] }] }],
        listeners: ['example', 'Auto'].map((protocol) => ({
          name: protocol,
          address: '127.0.0.1:0',
          bind_port: true,
          filter_chains: [{ filters: [{ type: 'proxy', config: { downstream_protocol: protocol, router_config_name: 'r' } }] }],
        })),
      },
    ],
    cluster_manager: { clusters: [cluster('example_service', [upstream])] },
    third_part_codec: { codecs },
  };
}

const NPM_CODEC = { enable: true, type: 'npm', path: '@mosn/protocol-example', loader_func_name: 'codec' };

let dir: string;
/** Write `config` as a file in a folder under test-e2e/ and load it as the CLI does. */
async function load(config: unknown) {
  const file = join(mkdtempSync(join(dir, 'cfg-')), 'mosn.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  const raw = loadConfigFile(file);
  const extensions = defaultExtensions();
  const loaded = await loadThirdPartCodecs(raw, extensions, join(file, '..'));
  return { raw, extensions, loaded };
}

beforeAll(() => {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: build it first (npx tsc -b packages/protocol-example)`);
  dir = mkdtempSync(join(REPO_ROOT, 'test-e2e', '.tmp-example-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('example protocol: client → mosn → server, the codec loaded from npm by the config', () => {
  let upstream: Awaited<ReturnType<typeof exampleServer>>;
  let mosn: Mosn;
  const peers: Peer[] = [];
  const client = async (listener = 'example') => {
    const p = await connect(port(mosn.listenerAddress(listener)));
    peers.push(p);
    return p;
  };

  beforeAll(async () => {
    upstream = await exampleServer();
    const { raw, extensions, loaded } = await load(configWith([NPM_CODEC], upstream.address));
    expect(loaded.errors).toEqual([]);
    expect(extensions.protocols.get('example')?.name).toBe('example');
    mosn = new Mosn({ config: raw, logger: silentLogger, extensions });
    await mosn.start();
  });
  afterAll(async () => {
    for (const p of peers) p.socket.destroy();
    await mosn?.stop(0);
    upstream?.close();
  });

  it('routes requests by header and answers each with the client’s own id', async () => {
    const c = await client();
    c.send(buildRequest({ requestId: 1000, header: { service: 'echo' }, body: 'one' }));
    c.send(buildRequest({ requestId: 7, header: { service: 'echo' }, body: 'two' }));
    const answers = [await c.next(), await c.next()].map((f) => [f.requestId, f.status, f.header.get('served'), f.body.toString()]);
    expect(answers.sort()).toEqual([
      [1000, ExampleStatus.OK, 'yes', 'echo:one'],
      [7, ExampleStatus.OK, 'yes', 'echo:two'],
    ].sort());
    expect(upstream.received.filter((f) => f.body.toString() === 'one')).toHaveLength(1);
  });

  it('detects the protocol by its first bytes on an Auto listener', async () => {
    const c = await client('Auto');
    c.send(buildRequest({ requestId: 3, header: { service: 'echo' }, body: 'auto' }));
    const f = await c.next();
    expect([f.requestId, f.body.toString()]).toEqual([3, 'echo:auto']);
  });

  it('answers heartbeats itself, never forwarding them', async () => {
    const before = upstream.received.length;
    const c = await client();
    c.send(exampleCodec.heartbeatTrigger(55));
    const f = await c.next();
    expect([f.kind, f.isHeartbeat(), f.requestId, f.status]).toEqual(['response', true, 55, ExampleStatus.OK]);
    expect(upstream.received.length).toBe(before);
  });

  it('answers a request no route matches with NOT_FOUND and the reason', async () => {
    const c = await client();
    c.send(buildRequest({ requestId: 9, header: { service: 'missing' } }));
    const f = await c.next();
    expect([f.requestId, f.status, exampleCodec.mapStatusToHttp(f.status!)]).toEqual([9, ExampleStatus.NOT_FOUND, 404]);
    expect(f.header.get('message')).toMatch(/no route/);
  });

  it('takes the request’s timeout header over the route’s, answering TIMEOUT', async () => {
    const c = await client();
    c.send(buildRequest({ requestId: 11, header: { service: 'slow' }, timeoutMs: 100 }));
    const f = await c.next();
    expect([f.requestId, f.status]).toEqual([11, ExampleStatus.TIMEOUT]);
  });

  it('forwards a one-way request without answering it', async () => {
    const c = await client();
    c.send(buildRequest({ requestId: 20, header: { service: 'echo' }, body: 'fire', oneWay: true }));
    c.send(buildRequest({ requestId: 21, header: { service: 'echo' }, body: 'after' }));
    const f = await c.next();
    expect([f.requestId, f.body.toString()]).toEqual([21, 'echo:after']);
    expect(upstream.received.some((r) => r.isOneWay() && r.body.toString() === 'fire')).toBe(true);
  });

  it('closes a connection that sends garbage while another keeps working', async () => {
    const good = await client();
    const bad = await client();
    bad.socket.write('XE\x01\x07 this is not a frame');
    await bad.closed;
    expect(bad.frames).toEqual([]);
    good.send(buildRequest({ requestId: 1, header: { service: 'echo' }, body: 'still' }));
    expect((await good.next()).body.toString()).toBe('echo:still');
  });
});

describe('third_part_codec: how a config names a protocol package', () => {
  it('loads a relative file path and another export name', async () => {
    const relative = join('..', '..', '..', 'packages', 'protocol-example', 'dist', 'index.js');
    const { extensions, loaded } = await load(configWith([{ ...NPM_CODEC, path: relative, loader_func_name: 'exampleCodec' }], '127.0.0.1:1'));
    expect(loaded.errors).toEqual([]);
    expect(extensions.protocols.get('example')).toBeDefined();
  });

  it('reports a package that cannot be found at third_part_codec.codecs[0].path', async () => {
    const { loaded } = await load(configWith([{ ...NPM_CODEC, path: '@mosn/protocol-nonexistent' }], '127.0.0.1:1'));
    expect(loaded.errors.map((e) => e.path)).toEqual(['third_part_codec.codecs[0].path']);
    expect(loaded.errors[0]!.message).toMatch(/cannot load protocol package "@mosn\/protocol-nonexistent"/);
  });

  it('reports an export that is not a codec at third_part_codec.codecs[0].path', async () => {
    const { loaded } = await load(configWith([{ ...NPM_CODEC, loader_func_name: 'ExampleStatus' }], '127.0.0.1:1'));
    expect(loaded.errors.map((e) => e.path)).toEqual(['third_part_codec.codecs[0].path']);
    expect(loaded.errors[0]!.message).toMatch(/export "ExampleStatus" is not a protocol codec/);
  });

  it('refuses MOSN’s go-plugin codecs at third_part_codec.codecs[0].type, and the listener’s unknown protocol', async () => {
    const goPlugin = { enable: true, type: 'go-plugin', path: 'codec.so', loader_func_name: 'LoadCodec' };
    const { raw, extensions, loaded } = await load(configWith([goPlugin], '127.0.0.1:1'));
    expect(loaded.errors).toEqual([]);
    const { problems } = readConfig(raw, extensions);
    const paths = problems.errors.map((e) => e.path);
    expect(paths).toContain('third_part_codec.codecs[0].type');
    expect(problems.errors.find((e) => e.path === 'third_part_codec.codecs[0].type')!.message).toMatch(/use "type": "npm"/);
    expect(paths).toContain('servers[0].listeners[0].filter_chains[0].filters[0].config.downstream_protocol');
  });
});
