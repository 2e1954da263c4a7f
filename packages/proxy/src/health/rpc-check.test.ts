import net from 'node:net';
import { SimpleHeaderMap, type IoBuffer, type XFrame, type XProtocolCodec } from '@mosn/stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '@mosn/stream';
import { Stats } from '../stats/stats.js';
import { HealthChecker } from './health-checker.js';
import { fastCheck, localCluster, waitFor } from './testing.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * A tiny heartbeat-only protocol, just what the checker needs: fixed 6-byte frames of
 * [kind: 1 request | 2 response][request id: uint32][status: 0 ok, 1 busy, 2 error].
 */
const FRAME = 6;

interface TinyFrame extends XFrame {
  readonly status: number;
}

function tinyFrame(kind: 'request' | 'response', requestId: number, status = 0): TinyFrame {
  return {
    kind,
    requestId,
    status,
    header: new SimpleHeaderMap(),
    body: Buffer.alloc(0),
    isHeartbeat: () => true,
    isOneWay: () => false,
  };
}

function tinyBytes(f: { kind: 'request' | 'response'; requestId: number; status: number }): Buffer {
  const b = Buffer.alloc(FRAME);
  b[0] = f.kind === 'request' ? 1 : 2;
  b.writeUInt32BE(f.requestId, 1);
  b[5] = f.status;
  return b;
}

const tinyCodec = {
  name: 'tiny',
  match: (buffer: IoBuffer) => (buffer.length === 0 ? 'again' : buffer.uint8(0) <= 2 ? 'match' : 'no'),
  decode(buffer: IoBuffer) {
    if (buffer.length < FRAME) return undefined;
    const b = buffer.take(FRAME);
    return tinyFrame(b[0] === 1 ? 'request' : 'response', b.readUInt32BE(1), b[5]);
  },
  encode: (f: TinyFrame) => [tinyBytes(f)],
  withRequestId: (f: TinyFrame, requestId: number) => tinyFrame(f.kind, requestId, f.status),
  heartbeatTrigger: (requestId: number) => tinyFrame('request', requestId),
  hijack: (f: TinyFrame) => tinyFrame('response', f.requestId, 1),
  mapStatusToHttp: (status: number) => (status === 0 ? 200 : status === 1 ? 503 : 500),
} satisfies XProtocolCodec<TinyFrame>;

type Mode = 'answer' | 'busy' | 'error' | 'id0' | 'silent';

/**
 * A raw TCP server speaking the tiny protocol: answers heartbeats ok, busy, with an error status, with id 0
 * (as apache-dubbo-service does), or not at all.
 */
async function heartbeatServer() {
  const state = { mode: 'answer' as Mode, connections: 0, heartbeats: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    state.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let pending = Buffer.alloc(0);
    s.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= FRAME) {
        const id = pending.readUInt32BE(1);
        const isRequest = pending[0] === 1;
        pending = pending.subarray(FRAME);
        if (!isRequest) continue;
        state.heartbeats++;
        const status = state.mode === 'busy' ? 1 : state.mode === 'error' ? 2 : 0;
        if (state.mode !== 'silent') s.write(tinyBytes({ kind: 'response', requestId: state.mode === 'id0' ? 0 : id, status }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  cleanups.push(() => (server.listening ? close() : undefined));
  return { port: (server.address() as net.AddressInfo).port, state, close };
}

describe('RPC heartbeat health check', () => {
  it('is healthy while heartbeats are answered, over one kept connection; unhealthy when they stop or say busy', async () => {
    const { port, state } = await heartbeatServer();
    const cluster = localCluster([port]);
    const host = cluster.hosts[0]!;
    const results: boolean[] = [];
    const config = fastCheck({ kind: 'rpc', protocol: 'tiny', timeoutMs: 200, unhealthyThreshold: 2 });
    const checker = new HealthChecker(cluster, config, {
      codecFor: (name) => (name === 'tiny' ? tinyCodec : undefined),
      onCheck: (_h, ok) => results.push(ok),
    });
    cleanups.push(() => checker.stop());
    expect(checker.kind).toBe('rpc');
    checker.start();
    await waitFor(() => results.length >= 3, 'three checks');
    expect(results.slice(0, 3)).toEqual([true, true, true]);
    expect(state.connections).toBe(1);
    expect(state.heartbeats).toBeGreaterThanOrEqual(3);

    state.mode = 'silent';
    await waitFor(() => !host.healthy, 'host unhealthy (no answers)');
    expect(results.slice(-2)).toEqual([false, false]);
    // A check that timed out closed its connection; the next one dialled again.
    expect(state.connections).toBeGreaterThan(1);

    state.mode = 'answer';
    await waitFor(() => host.healthy, 'host healthy again');

    state.mode = 'busy';
    await waitFor(() => !host.healthy, 'host unhealthy (busy answers)');
  });

  it('counts answers with id 0 and with a non-gateway error status as healthy; only busy (503) fails', async () => {
    const { port, state } = await heartbeatServer();
    const cluster = localCluster([port]);
    const host = cluster.hosts[0]!;
    const results: boolean[] = [];
    const checker = new HealthChecker(cluster, fastCheck({ kind: 'rpc', protocol: 'tiny', timeoutMs: 200, unhealthyThreshold: 1 }), {
      codecFor: () => tinyCodec,
      onCheck: (_h, ok) => results.push(ok),
    });
    cleanups.push(() => checker.stop());
    state.mode = 'id0';
    checker.start();
    await waitFor(() => results.length >= 4, 'four checks answered with id 0');
    expect(results).not.toContain(false);
    state.mode = 'error';
    const from = results.length;
    await waitFor(() => results.length >= from + 4, 'four checks answered with an error status');
    expect(results).not.toContain(false);
    expect(host.healthy).toBe(true);
    expect(state.connections).toBe(1);
    state.mode = 'busy';
    await waitFor(() => !host.healthy, 'host unhealthy (busy answers)');
  });

  it('fails a check when the host does not accept connections', async () => {
    const { port, close } = await heartbeatServer();
    await close();
    const cluster = localCluster([port]);
    const checker = new HealthChecker(cluster, fastCheck({ kind: 'rpc', protocol: 'tiny' }), { codecFor: () => tinyCodec });
    cleanups.push(() => checker.stop());
    checker.start();
    await waitFor(() => !cluster.hosts[0]!.healthy, 'host unhealthy');
  });

  it('falls back to a TCP connect when the protocol has no codec with heartbeats', () => {
    const cluster = localCluster([1]);
    const { heartbeatTrigger: _, ...noHeartbeat } = tinyCodec;
    expect(new HealthChecker(cluster, fastCheck({ kind: 'rpc', protocol: 'tiny' }), { codecFor: () => noHeartbeat }).kind).toBe('tcp');
    expect(new HealthChecker(cluster, fastCheck({ kind: 'rpc', protocol: 'nope' }), { codecFor: () => undefined }).kind).toBe('tcp');
  });

  it('a codec whose heartbeat throws (a bug in a protocol package): each check logged, counted and failed; checks go on', async () => {
    const { port } = await heartbeatServer();
    const cluster = localCluster([port]);
    const host = cluster.hosts[0]!;
    const warnings: string[] = [];
    const logger = {
      trace() {}, debug() {}, info() {}, error() {},
      warn(obj: unknown, msg?: string) { warnings.push(`${msg}: ${((obj as { err?: Error }).err)?.message}`); },
      child() { return logger; },
    };
    const log = logger as unknown as Logger;
    const buggy = { ...tinyCodec, heartbeatTrigger: (): TinyFrame => { throw new Error('heartbeat bug'); } };
    const stats = new Stats();
    const checker = new HealthChecker(cluster, fastCheck({ kind: 'rpc', protocol: 'tiny', unhealthyThreshold: 2 }), { codecFor: () => buggy, stats, logger: log });
    cleanups.push(() => checker.stop());
    checker.start();
    await waitFor(() => !host.healthy, 'host unhealthy');
    await waitFor(() => (stats.snapshot()['cluster.test.health_check.error'] ?? 0) >= 3, 'three failed checks counted (checking goes on)');
    expect(warnings[0]).toBe('health check threw; counted as a failed check: heartbeat bug');
  });
});
