import { TestControlPlane } from '@mosn/xds/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { AdsClient, type XdsLogger, type XdsResource } from './ads-client.js';
import { packAny } from './proto.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE } from './type-urls.js';

const quiet: XdsLogger = { debug() {}, info() {}, warn() {}, error() {} };
const cluster = (name: string) => ({ name, resource: { name, type: 'EDS', eds_cluster_config: { eds_config: { ads: {} } } } });

/** An AdsClient whose owner accepts every response unless `refuse` says why not; it records what it was handed. */
function client(cp: TestControlPlane, refuse?: (resources: readonly XdsResource[]) => string | undefined) {
  const handed: { type: string; version: string; names: string[] }[] = [];
  const c = new AdsClient({
    target: cp.address,
    node: { id: 'sidecar~127.0.0.1~app.default~default.svc.cluster.local', cluster: 'app' },
    logger: quiet,
    backoff: { initialMs: 20, maxMs: 100 },
    onResponse: async (type, version, resources) => {
      handed.push({ type, version, names: resources.map((r) => r.name) });
      return refuse?.(resources);
    },
  });
  return { c, handed };
}

let cp: TestControlPlane | undefined;
let ads: AdsClient | undefined;
afterEach(async () => {
  ads?.close();
  await cp?.stop();
  ads = cp = undefined;
});

describe('AdsClient against the test control plane', () => {
  it('sends the node once per stream, ACKs each response with its version and nonce, and subscribes by name', async () => {
    cp = await TestControlPlane.start();
    cp.setResources(CLUSTER_TYPE, 'c1', [cluster('a'), cluster('b')]);
    const { c, handed } = client(cp);
    ads = c;
    c.subscribe(CLUSTER_TYPE, undefined);
    c.start();
    const first = await cp.waitForRequest((r) => r.typeUrl === CLUSTER_TYPE);
    expect(first.node).toMatchObject({ id: 'sidecar~127.0.0.1~app.default~default.svc.cluster.local', cluster: 'app' });
    expect(first.versionInfo).toBe('');
    const ack = await cp.waitForRequest((r) => r.typeUrl === CLUSTER_TYPE && r.versionInfo === 'c1');
    const sent = cp.responses.find((r) => r.typeUrl === CLUSTER_TYPE)!;
    expect(ack.responseNonce).toBe(sent.nonce);
    expect(ack.node).toBeUndefined();
    expect(ack.errorDetail).toBeUndefined();
    expect(handed).toEqual([{ type: CLUSTER_TYPE, version: 'c1', names: ['a', 'b'] }]);

    cp.setResources(ENDPOINT_TYPE, 'e1', [{ name: 'a', resource: { cluster_name: 'a', endpoints: [] } }, { name: 'b', resource: { cluster_name: 'b' } }]);
    c.subscribe(ENDPOINT_TYPE, ['a']);
    const edsAck = await cp.waitForRequest((r) => r.typeUrl === ENDPOINT_TYPE && r.versionInfo === 'e1');
    expect(edsAck.resourceNames).toEqual(['a']);
    expect(handed.at(-1)).toEqual({ type: ENDPOINT_TYPE, version: 'e1', names: ['a'] });
    // an empty response is ACKed too
    cp.setResources(CLUSTER_TYPE, 'c2', []);
    await cp.waitForRequest((r) => r.typeUrl === CLUSTER_TYPE && r.versionInfo === 'c2');
  });

  it('NACKs what its owner refuses with the last accepted version, the nonce and the reason', async () => {
    cp = await TestControlPlane.start();
    cp.setResources(CLUSTER_TYPE, '1', [cluster('good')]);
    const { c } = client(cp, (resources) => (resources.some((r) => r.name === 'bad') ? 'Cluster "bad".lb_policy: MAGLEV is not supported' : undefined));
    ads = c;
    c.subscribe(CLUSTER_TYPE, undefined);
    c.start();
    await cp.waitForRequest((r) => r.versionInfo === '1');
    const since = cp.requests.length;
    cp.setResources(CLUSTER_TYPE, '2', [cluster('good'), cluster('bad')]);
    const nack = await cp.waitForRequest((r) => r.errorDetail !== undefined, 5000, since);
    expect(nack.versionInfo).toBe('1');
    expect(nack.responseNonce).toBe(cp.responses.at(-1)!.nonce);
    expect(nack.errorDetail).toEqual({ code: 3, message: 'Cluster "bad".lb_policy: MAGLEV is not supported' });
    cp.setResources(CLUSTER_TYPE, '3', [cluster('good')]);
    await cp.waitForRequest((r) => r.versionInfo === '3' && r.errorDetail === undefined, 5000, since);
  });

  it('NACKs duplicate names and resources of another type without handing them on', async () => {
    cp = await TestControlPlane.start();
    const { c, handed } = client(cp);
    ads = c;
    c.subscribe(CLUSTER_TYPE, undefined);
    c.start();
    await cp.waitForRequest((r) => r.typeUrl === CLUSTER_TYPE);
    cp.setRawResources(CLUSTER_TYPE, 'dup', [packAny(CLUSTER_TYPE, { name: 'x' }), packAny(CLUSTER_TYPE, { name: 'x' })]);
    const dup = await cp.waitForRequest((r) => r.errorDetail !== undefined);
    expect(dup.errorDetail!.message).toBe('resources[1]: duplicate resource name "x"');
    const since = cp.requests.length;
    cp.setRawResources(CLUSTER_TYPE, 'wrong', [packAny(LISTENER_TYPE, { name: 'l' })]);
    const wrong = await cp.waitForRequest((r) => r.errorDetail !== undefined, 5000, since);
    expect(wrong.errorDetail!.message).toContain('type "type.googleapis.com/envoy.config.listener.v3.Listener" in a response of type');
    expect(wrong.versionInfo).toBe('');
    expect(handed).toEqual([]);
  });

  it('reconnects after a reset: a new stream with the node, the versions kept, no nonce, every subscription', async () => {
    cp = await TestControlPlane.start();
    cp.setResources(CLUSTER_TYPE, '7', [cluster('a')]);
    cp.setResources(ENDPOINT_TYPE, '9', [{ name: 'a', resource: { cluster_name: 'a' } }]);
    const { c } = client(cp);
    ads = c;
    c.subscribe(CLUSTER_TYPE, undefined);
    c.subscribe(ENDPOINT_TYPE, ['a']);
    c.start();
    await cp.waitForRequest((r) => r.typeUrl === ENDPOINT_TYPE && r.versionInfo === '9');
    const since = cp.requests.length;
    cp.resetStreams();
    const again = await cp.waitForRequest((r) => r.stream === 2 && r.typeUrl === CLUSTER_TYPE, 5000, since);
    expect(again.node).toBeDefined();
    expect(again.versionInfo).toBe('7');
    expect(again.responseNonce).toBe('');
    const eds = await cp.waitForRequest((r) => r.stream === 2 && r.typeUrl === ENDPOINT_TYPE, 5000, since);
    expect(eds.resourceNames).toEqual(['a']);
    expect(eds.versionInfo).toBe('9');
    expect(eds.node).toBeUndefined();
  });

  it("takes a response larger than gRPC's 4 MiB default (istiod sends such)", async () => {
    cp = await TestControlPlane.start();
    const many = Array.from({ length: 60_000 }, (_, i) => cluster(`outbound|8080||service-${i}.namespace-with-a-long-name.svc.cluster.local`));
    cp.setResources(CLUSTER_TYPE, 'big', many);
    const { c, handed } = client(cp);
    ads = c;
    c.subscribe(CLUSTER_TYPE, undefined);
    c.start();
    await cp.waitForRequest((r) => r.versionInfo === 'big', 20_000);
    expect(handed[0]!.names).toHaveLength(60_000);
    const bytes = many.reduce((n, m) => n + packAny(CLUSTER_TYPE, m.resource).value.length, 0);
    expect(bytes).toBeGreaterThan(4 * 1024 * 1024);
  });

  it('keeps retrying while the control plane is down and subscribes again when it is back on its port', async () => {
    cp = await TestControlPlane.start();
    const port = cp.port;
    const { c } = client(cp);
    ads = c;
    c.subscribe(LISTENER_TYPE, undefined);
    c.start();
    await cp.waitForRequest((r) => r.typeUrl === LISTENER_TYPE);
    await cp.stop();
    await new Promise((r) => setTimeout(r, 300));
    cp = await TestControlPlane.start({ port });
    const back = await cp.waitForRequest((r) => r.typeUrl === LISTENER_TYPE);
    expect(back.node).toBeDefined();
  });
});
