import { Client, credentials, Server, ServerCredentials, type ServiceError } from '@grpc/grpc-js';
import { register } from '@grpc/grpc-js-xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADS_METHOD, decodeResponse, encodeRequest, type DiscoveryRequest, type DiscoveryResponse } from '../ads-service.js';
import { packAny } from '../proto.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../type-urls.js';
import { TestControlPlane, type RecordedRequest } from './index.js';

// The control plane checked against Google's xDS client: grpc-js-xds resolves `xds:///echo.test` through it and
// sends RPCs to real gRPC servers on 127.0.0.1.

const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const ECHO_PATH = '/mosn.test.Echo/Echo';
// grpc-js-xds's bootstrap insists on node.locality (an empty object will do)
const NODE = { id: 'grpc-js-xds-under-test', cluster: 'tests', locality: { zone: 'z1' } };
const ALL_TYPES = [LISTENER_TYPE, ROUTE_TYPE, CLUSTER_TYPE, ENDPOINT_TYPE];
const identity = (b: Buffer): Buffer => b;

const listener = {
  name: 'echo.test',
  api_listener: {
    api_listener: packAny(HCM_TYPE, {
      rds: { config_source: { ads: {} }, route_config_name: 'echo-route' },
      http_filters: [{ name: 'router', typed_config: packAny(ROUTER_TYPE, {}) }],
    }),
  },
};
const route = {
  name: 'echo-route',
  virtual_hosts: [{ name: 'echo', domains: ['*'], routes: [{ match: { prefix: '' }, route: { cluster: 'echo-cluster' } }] }],
};
const cluster = (lbPolicy: string): Record<string, unknown> => ({
  name: 'echo-cluster',
  type: 'EDS',
  eds_cluster_config: { eds_config: { ads: {} } },
  lb_policy: lbPolicy,
});
const endpoints = (port: number): Record<string, unknown> => ({
  cluster_name: 'echo-cluster',
  endpoints: [
    {
      locality: { region: 'test' },
      load_balancing_weight: { value: 1 },
      lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }],
    },
  ],
});

/** A real gRPC server answering every Echo with its own name. */
async function echoServer(name: string): Promise<{ server: Server; port: number }> {
  const server = new Server();
  server.register(ECHO_PATH, (_call: unknown, callback: (err: null, value: Buffer) => void) => callback(null, Buffer.from(name)), identity, identity, 'unary');
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, port };
}

function echo(client: Client): Promise<string> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(ECHO_PATH, identity, identity, Buffer.from('ping'), { deadline: Date.now() + 5000 }, (err: ServiceError | null, value?: Buffer) =>
      err ? reject(err) : resolve(String(value)),
    ),
  );
}

/** Bounded polling: `check` until it holds (a throw counts as not yet), at most `tries` times 50 ms apart. */
async function until(what: string, check: () => Promise<boolean> | boolean, tries = 100): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await Promise.resolve().then(check).catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('TestControlPlane with grpc-js-xds as the client', () => {
  let cp: TestControlPlane;
  let a: { server: Server; port: number };
  let b: { server: Server; port: number };
  let client: Client;

  const serveAll = (plane: TestControlPlane, version: string, port: number): void => {
    plane.setResources(LISTENER_TYPE, version, [{ name: 'echo.test', resource: listener }]);
    plane.setResources(ROUTE_TYPE, version, [{ name: 'echo-route', resource: route }]);
    plane.setResources(CLUSTER_TYPE, version, [{ name: 'echo-cluster', resource: cluster('ROUND_ROBIN') }]);
    plane.setResources(ENDPOINT_TYPE, version, [{ name: 'echo-cluster', resource: endpoints(port) }]);
  };
  /** The client's ACK of the latest response of a type on a stream. */
  const ackOf = (typeUrl: string, since = 0): Promise<RecordedRequest> => {
    const sent = cp.responses.filter((r) => r.typeUrl === typeUrl).at(-1);
    if (!sent) throw new Error(`no ${typeUrl} response sent`);
    return cp.waitForRequest(
      (r) => r.stream === sent.stream && r.typeUrl === typeUrl && r.responseNonce === sent.nonce && r.versionInfo === sent.version && !r.errorDetail,
      5000,
      since,
    );
  };

  beforeAll(async () => {
    register();
    [cp, a, b] = await Promise.all([TestControlPlane.start(), echoServer('A'), echoServer('B')]);
    serveAll(cp, '1', a.port);
    const bootstrap = { xds_servers: [{ server_uri: cp.address, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }], node: NODE };
    // a per-channel bootstrap: nothing leaks into other tests through the environment
    client = new Client('xds:///echo.test', credentials.createInsecure(), {
      'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config': JSON.stringify(bootstrap),
    });
  });

  afterAll(async () => {
    client?.close();
    a?.server.forceShutdown();
    b?.server.forceShutdown();
    await cp?.stop();
  });

  it('resolves xds:///echo.test through LDS, RDS, CDS and EDS to a real server', async () => {
    expect(await echo(client)).toBe('A');
    expect(cp.streamCount).toBe(1);
    expect(cp.connectedNodes).toEqual([expect.objectContaining(NODE)]);
  });

  it('sees grpc-js-xds send its node first and ACK each type with the version and nonce sent', async () => {
    expect(cp.requests[0]).toMatchObject({ stream: 1, typeUrl: LISTENER_TYPE, resourceNames: ['echo.test'], responseNonce: '', node: NODE });
    expect(cp.requests.slice(1).every((r) => r.node === undefined)).toBe(true);
    for (const typeUrl of ALL_TYPES) {
      const sent = cp.responses.find((r) => r.typeUrl === typeUrl);
      expect(sent).toMatchObject({ stream: 1, version: '1' });
      const ack = await ackOf(typeUrl);
      expect(ack.resourceNames).toEqual([typeUrl === LISTENER_TYPE ? 'echo.test' : typeUrl === ROUTE_TYPE ? 'echo-route' : 'echo-cluster']);
    }
    // RDS and EDS responses carry what was asked for; a name asked for was answered once, an ACK not at all
    expect(cp.responses.map((r) => [r.typeUrl, r.names])).toEqual(ALL_TYPES.map((t) => [t, [t === ROUTE_TYPE ? 'echo-route' : t === LISTENER_TYPE ? 'echo.test' : 'echo-cluster']]));
  });

  it('pushes a new endpoint: RPCs move to the second server', async () => {
    cp.setResources(ENDPOINT_TYPE, '2', [{ name: 'echo-cluster', resource: endpoints(b.port) }]);
    await until('an RPC answered by B', async () => (await echo(client)) === 'B');
    await ackOf(ENDPOINT_TYPE);
  });

  it('records the NACK of a cluster grpc-js-xds rejects, with the last accepted version and its nonce', async () => {
    const mark = cp.requests.length;
    cp.setResources(CLUSTER_TYPE, '2', [{ name: 'echo-cluster', resource: cluster('MAGLEV') }]);
    const sent = cp.responses.at(-1);
    expect(sent).toMatchObject({ typeUrl: CLUSTER_TYPE, version: '2' });
    const nack = await cp.waitForRequest((r) => r.typeUrl === CLUSTER_TYPE && r.errorDetail !== undefined, 5000, mark);
    expect(nack).toMatchObject({ versionInfo: '1', responseNonce: sent?.nonce, resourceNames: ['echo-cluster'] });
    expect(nack.errorDetail?.message).toContain('unsupported lb_policy: MAGLEV');
    // the NACK is answered by silence, and the client keeps the cluster it had
    expect(cp.responses.at(-1)).toBe(sent);
    expect(await echo(client)).toBe('B');
    cp.setResources(CLUSTER_TYPE, '3', [{ name: 'echo-cluster', resource: cluster('ROUND_ROBIN') }]);
    await ackOf(CLUSTER_TYPE, mark);
  });

  it('holds EDS responses until released', async () => {
    cp.hold(ENDPOINT_TYPE);
    cp.setResources(ENDPOINT_TYPE, '3', [{ name: 'echo-cluster', resource: endpoints(a.port) }]);
    expect(cp.responses.some((r) => r.typeUrl === ENDPOINT_TYPE && r.version === '3')).toBe(false);
    expect(await echo(client)).toBe('B');
    cp.release(ENDPOINT_TYPE);
    expect(cp.responses.at(-1)).toMatchObject({ typeUrl: ENDPOINT_TYPE, version: '3' });
    await until('an RPC answered by A', async () => (await echo(client)) === 'A');
  });

  it('sends a raw EDS response carrying a Cluster: NACKed with its nonce', async () => {
    // (a wrong-typed resource in a CDS or LDS response would also make grpc-js-xds drop every resource of the type)
    const mark = cp.requests.length;
    cp.sendRaw({ type_url: ENDPOINT_TYPE, version_info: 'raw', nonce: 'raw-1', resources: [packAny(CLUSTER_TYPE, cluster('ROUND_ROBIN'))] });
    const nack = await cp.waitForRequest((r) => r.responseNonce === 'raw-1', 5000, mark);
    expect(nack).toMatchObject({ typeUrl: ENDPOINT_TYPE, versionInfo: '3', resourceNames: ['echo-cluster'] });
    expect(nack.errorDetail?.message).toContain('incorrect resource type');
    cp.setResources(ENDPOINT_TYPE, '4', [{ name: 'echo-cluster', resource: endpoints(a.port) }]);
    await ackOf(ENDPOINT_TYPE, mark);
    expect(await echo(client)).toBe('A');
  });

  it('resets streams: grpc-js-xds opens a new one with its node and every subscription', async () => {
    const mark = cp.requests.length;
    const oldStream = cp.requests.at(-1)?.stream ?? 0;
    cp.resetStreams();
    const first = await cp.waitForRequest((r) => r.stream > oldStream, 5000, mark);
    expect(first.node).toMatchObject(NODE);
    for (const typeUrl of ALL_TYPES) {
      const again = await cp.waitForRequest((r) => r.stream === first.stream && r.typeUrl === typeUrl, 5000, mark);
      // a new stream starts without a nonce, from the versions the client accepted before
      expect(again).toMatchObject({ responseNonce: '', versionInfo: { [LISTENER_TYPE]: '1', [ROUTE_TYPE]: '1', [CLUSTER_TYPE]: '3', [ENDPOINT_TYPE]: '4' }[typeUrl] });
      await ackOf(typeUrl, mark);
    }
    await until('one open stream', () => cp.streamCount === 1);
    expect(await echo(client)).toBe('A');
  });

  it('restarts on the same port: grpc-js-xds reconnects', async () => {
    const port = cp.port;
    await cp.stop();
    cp = await TestControlPlane.start({ port });
    expect(cp.port).toBe(port);
    serveAll(cp, '5', b.port);
    await cp.waitForRequest((r) => r.node !== undefined, 15_000);
    await until('an RPC answered by B', async () => (await echo(client)) === 'B');
    for (const typeUrl of ALL_TYPES) await ackOf(typeUrl);
  });
});

describe('TestControlPlane with a raw ADS stream', () => {
  let cp: TestControlPlane;
  let raw: Client;

  beforeAll(async () => {
    cp = await TestControlPlane.start();
    raw = new Client(cp.address, credentials.createInsecure());
  });
  afterAll(async () => {
    raw?.close();
    await cp?.stop();
  });

  it('answers names asked for, ignores a stale nonce, and answers an ACK that adds a name', async () => {
    cp.setResources(ENDPOINT_TYPE, 'v1', ['x', 'y', 'z'].map((name) => ({ name, resource: { cluster_name: name } })));
    const call = raw.makeBidiStreamRequest<DiscoveryRequest, DiscoveryResponse>(ADS_METHOD, encodeRequest, decodeResponse);
    const received: DiscoveryResponse[] = [];
    call.on('data', (r: DiscoveryResponse) => received.push(r));
    call.on('error', () => {});
    call.write({ node: NODE, type_url: ENDPOINT_TYPE, resource_names: ['x', 'missing'] });
    await until('a response', () => received.length === 1);
    const first = received[0];
    expect(cp.responses[0]).toMatchObject({ version: 'v1', names: ['x'], nonce: first?.nonce });

    call.write({ type_url: ENDPOINT_TYPE, resource_names: ['x', 'y'], response_nonce: 'stale', version_info: 'v1' });
    await cp.waitForRequest((r) => r.responseNonce === 'stale');
    expect(cp.responses).toHaveLength(1);

    call.write({ type_url: ENDPOINT_TYPE, resource_names: ['x', 'y'], response_nonce: first?.nonce ?? '', version_info: 'v1' });
    await until('a second response', () => received.length === 2);
    expect(cp.responses[1]).toMatchObject({ version: 'v1', names: ['x', 'y'] });
    expect(received[1]?.nonce).not.toBe(first?.nonce);

    // an ACK of the same names, and a NACK, are recorded and answered by silence
    call.write({ type_url: ENDPOINT_TYPE, resource_names: ['x', 'y'], response_nonce: received[1]?.nonce ?? '', version_info: 'v1' });
    call.write({ type_url: ENDPOINT_TYPE, resource_names: ['x', 'y'], response_nonce: received[1]?.nonce ?? '', version_info: 'v1', error_detail: { code: 3, message: 'no' } });
    await cp.waitForRequest((r) => r.errorDetail?.message === 'no');
    expect(cp.responses).toHaveLength(2);
    call.end();
    await until('the stream closed', () => cp.streamCount === 0);
  });

  it('serves raw resources: an undecodable one goes to every subscriber, duplicates stay', async () => {
    const x = packAny(ENDPOINT_TYPE, { cluster_name: 'x' });
    cp.setRawResources(ENDPOINT_TYPE, 'raw', [{ type_url: ENDPOINT_TYPE, value: Buffer.from([0xff, 0xff]) }, x, x, packAny(ENDPOINT_TYPE, { cluster_name: 'y' })]);
    const call = raw.makeBidiStreamRequest<DiscoveryRequest, DiscoveryResponse>(ADS_METHOD, encodeRequest, decodeResponse);
    const received: DiscoveryResponse[] = [];
    call.on('data', (r: DiscoveryResponse) => received.push(r));
    call.on('error', () => {});
    call.write({ node: NODE, type_url: ENDPOINT_TYPE, resource_names: ['x'] });
    await until('a response', () => received.length === 1);
    expect(received[0]?.resources).toHaveLength(3);
    expect(cp.responses.at(-1)).toMatchObject({ version: 'raw', names: [undefined, 'x', 'x'] });
    call.end();
    await until('the stream closed', () => cp.streamCount === 0);
  });

  it('rejects waitForRequest on timeout with the requests seen', async () => {
    await expect(cp.waitForRequest((r) => r.typeUrl === 'nothing', 50)).rejects.toThrow(/no matching xDS request within 50 ms.*\n.*ClusterLoadAssignment/);
  });
});
