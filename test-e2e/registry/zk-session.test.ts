import { createRequire } from 'node:module';
import { ZkSession, dubboProviderUrl, parseProvider, providerNode } from '@mosn/registry-zookeeper';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupAfterEach, waitUntil } from '../helpers.js';
import { startZooKeeper, type ZooKeeper } from './zookeeper.js';

// ZkSession against a real ZooKeeper: watches with full lists, own ephemeral nodes through expiry and restart,
// and the watchdog. A second, independent client (node-zookeeper-client used directly) plays the other side.

const require = createRequire(import.meta.url);
const zk = require('node-zookeeper-client') as typeof import('node-zookeeper-client');

let server: ZooKeeper;
beforeAll(async () => {
  server = await startZooKeeper();
}, 30_000);
afterAll(() => server?.close());
const cleanups = cleanupAfterEach();

function session(o: { watchdogMs?: number; sessionTimeoutMs?: number } = {}): ZkSession {
  const s = new ZkSession({ address: server.address, sessionTimeoutMs: o.sessionTimeoutMs ?? 2000, watchdogMs: o.watchdogMs ?? 3000 });
  s.start();
  cleanups.push(() => s.close());
  return s;
}

/** A plain client, for writing and reading nodes as another process would. */
async function plainClient(): Promise<import('node-zookeeper-client').Client> {
  const c = zk.createClient(server.address, { sessionTimeout: 2000 });
  await new Promise<void>((resolve) => {
    c.once('connected', () => resolve());
    c.connect();
  });
  cleanups.push(() => c.close());
  return c;
}

const call = <T>(fn: (cb: (err: unknown, v: T) => void) => void) =>
  new Promise<T>((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));

describe('ZkSession against a real ZooKeeper', () => {
  it('watches children with full lists: a missing path, nodes added and removed by another client', async () => {
    const s = session();
    const seen: string[][] = [];
    s.watchChildren('/dubbo/a.B/providers', (c) => seen.push(c));
    await waitUntil(() => seen.length === 1, 5000, 'the first (empty) list');
    expect(seen[0]).toEqual([]);
    const other = await plainClient();
    const url = dubboProviderUrl({ host: '127.0.0.1', port: 20880, interface: 'a.B', version: '1.0.0' });
    await call((cb) => other.mkdirp('/dubbo/a.B/providers', cb));
    await call((cb) => other.create(`/dubbo/a.B/providers/${providerNode(url)}`, Buffer.alloc(0), zk.CreateMode.EPHEMERAL, cb));
    await waitUntil(() => seen.at(-1)?.length === 1, 5000, 'the provider seen');
    expect(parseProvider(seen.at(-1)![0]!)).toMatchObject({ host: '127.0.0.1', port: 20880, interface: 'a.B', version: '1.0.0', weight: 100 });
    await call((cb) => other.remove(`/dubbo/a.B/providers/${providerNode(url)}`, (e) => cb(e, undefined)));
    await waitUntil(() => seen.at(-1)?.length === 0, 5000, 'the provider gone');
  });

  it("own ephemeral nodes: made, removed by unregister and by close (another client sees each)", async () => {
    const s = session();
    await s.ready(5000);
    await s.register('/sofa-rpc/x.Y/providers/n1');
    const other = await plainClient();
    expect(await call<string[]>((cb) => other.getChildren('/sofa-rpc/x.Y/providers', cb))).toEqual(['n1']);
    await s.unregister('/sofa-rpc/x.Y/providers/n1');
    expect(await call<string[]>((cb) => other.getChildren('/sofa-rpc/x.Y/providers', cb))).toEqual([]);
    await s.register('/sofa-rpc/x.Y/providers/n2');
    s.close();
    await waitUntil(async () => (await call<string[]>((cb) => other.getChildren('/sofa-rpc/x.Y/providers', cb))).length === 0, 5000, 'n2 gone with the session');
  });

  it('ZooKeeper killed and restarted: the watch comes back, changes meanwhile are seen, own nodes are there again', async () => {
    const s = session({ watchdogMs: 2000 });
    const seen: string[][] = [];
    s.watchChildren('/dubbo/r.S/providers', (c) => seen.push(c));
    await s.register('/dubbo/r.S/providers/mine');
    await waitUntil(() => seen.at(-1)?.includes('mine') === true, 5000, 'own node seen by its own watch');
    await server.kill();
    await waitUntil(() => !s.connected, 5000, 'disconnected');
    await server.restart();
    await s.ready(15_000);
    const other = await plainClient();
    await call((cb) => other.create('/dubbo/r.S/providers/theirs', Buffer.alloc(0), zk.CreateMode.EPHEMERAL, cb));
    await waitUntil(() => seen.at(-1)?.includes('theirs') === true && seen.at(-1)?.includes('mine') === true, 10_000, 'both nodes seen after the restart', () => JSON.stringify(seen));
  }, 40_000);

  it('a session ZooKeeper no longer knows (a wiped server) expires: a new session sets the watches again and makes the own nodes again', async () => {
    const events: string[] = [];
    const s = new ZkSession({ address: server.address, sessionTimeoutMs: 2000, watchdogMs: 3000, count: (e) => events.push(e) });
    s.start();
    cleanups.push(() => s.close());
    const seen: string[][] = [];
    s.watchChildren('/dubbo/e.X/providers', (c) => seen.push(c));
    await s.register('/dubbo/e.X/providers/mine');
    await waitUntil(() => seen.at(-1)?.includes('mine') === true, 5000, 'own node seen');
    await server.restart({ wipe: true });
    await waitUntil(() => events.includes('expired') || events.includes('recreated'), 15_000, 'the old session expired', () => events.join(','));
    const other = await plainClient();
    const children = () => call<string[]>((cb) => other.getChildren('/dubbo/e.X/providers', cb)).catch(() => [] as string[]);
    await waitUntil(async () => (await children()).includes('mine'), 15_000, 'own node made again on the new server', () => events.join(','));
    await call((cb) => other.create('/dubbo/e.X/providers/theirs', Buffer.alloc(0), zk.CreateMode.EPHEMERAL, cb));
    await waitUntil(() => seen.at(-1)?.includes('theirs') === true, 5000, 'the watch of the new session follows changes');
  }, 40_000);

  it('the watchdog: a client disconnected longer than watchdogMs is replaced by a new session, which takes its own node over', async () => {
    const events: string[] = [];
    const s = new ZkSession({ address: server.address, sessionTimeoutMs: 3000, watchdogMs: 500, count: (e) => events.push(e) });
    s.start();
    cleanups.push(() => s.close());
    await s.register('/dubbo/w.D/providers/mine');
    await s.ready(5000);
    await server.kill();
    await waitUntil(() => events.includes('recreated'), 10_000, 'the watchdog made a new client', () => events.join(','));
    await server.restart();
    await s.ready(15_000);
    const other = await plainClient();
    // the node is there, owned by the session connected now (the old session's node was taken over)
    await waitUntil(
      async () => {
        const stat = await call<{ ephemeralOwner: Buffer } | null>((cb) => other.exists('/dubbo/w.D/providers/mine', cb)).catch(() => null);
        return stat !== null && stat.ephemeralOwner.toString('hex') !== '0000000000000000';
      },
      10_000,
      'own node present',
    );
    const seen: string[][] = [];
    s.watchChildren('/dubbo/w.D/providers', (c) => seen.push(c));
    await waitUntil(() => seen.at(-1)?.includes('mine') === true, 5000, 'the new session watches');
  }, 40_000);
});
