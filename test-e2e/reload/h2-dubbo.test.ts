import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { DEMO, dubboConsumer, java, startProvider, testMethods, type TestConsumer, type TestProvider } from '../dubbo/peers.js';
import { cleanupAfterEach, closedPort, cluster } from '../helpers.js';
import { Gate, answeredBy, h2Backend, h2Client, mosnJson, pathRouter, proxyListener, runLoad, serviceRouter, softFail, startMosnProcess, switchProblems, tcpProbe, waitUntil, type H2Backend, type H2Client, type LogLine, type MosnProcess } from './support.js';

/*
 * Live reconfiguration with requests in flight: HTTP/2 streams (node:http2 client → h2c listener → node:http2
 * backends) and Dubbo calls (dubbo2.js → mosn → apache-dubbo-service providers) are held by their backends
 * while mosn (its own process) applies a changed config file on SIGHUP; then the backends answer (after
 * ~300 ms more). Every held call completes with the answer of the backend it was sent to, and new calls go
 * where the new config says.
 */

const cleanups = cleanupAfterEach();

/** What the tests vary between reloads. */
interface State {
  /** r_h2 and r_dubbo send to these clusters. */
  h2Route: string;
  dubboRoute: string;
  /** Hosts of h2_a and dubbo_a. */
  h2AHosts: string;
  dubboAHosts: string;
  /** lb_type of h2_a and dubbo_a. */
  lbA: string;
  /** The h2 and dubbo listeners are configured. */
  listeners: boolean;
  /** The routers the h2 and dubbo listeners name. */
  h2Router: string;
  dubboRouter: string;
}

interface Fixture {
  mosn: MosnProcess;
  ports: { admin: number; h2: number; dubbo: number; keep: number };
  h2: Record<'A' | 'B' | 'C', H2Backend>;
  /** Providers dA, dB, dC. */
  dubbo: Record<'A' | 'B' | 'C', TestProvider>;
  /** `held(tag)` of provider X waits for dubboGates[X]. */
  dubboGates: Record<'A' | 'B' | 'C', Gate>;
  s0: State;
  config(s: State): Record<string, unknown>;
  /** A client session on the h2 listener / a consumer on the dubbo listener, closed at cleanup. */
  h2Client(): Promise<H2Client>;
  consumer(): TestConsumer;
}

async function setup(): Promise<Fixture> {
  const names = ['A', 'B', 'C'] as const;
  const h2 = {} as Fixture['h2'];
  const dubbo = {} as Fixture['dubbo'];
  const dubboGates = {} as Fixture['dubboGates'];
  for (const n of names) {
    h2[n] = await h2Backend(n);
    cleanups.push(h2[n].close);
    const gate = new Gate();
    dubboGates[n] = gate;
    const name = `d${n}`;
    dubbo[n] = await startProvider(name, {
      services: [
        {
          interface: DEMO,
          methods: {
            ...testMethods(name),
            held: async (tag: string) => {
              await gate.pass();
              return `${name} ${tag}`;
            },
          },
        },
      ],
    });
    cleanups.push(() => {
      gate.open();
      return dubbo[n].close();
    });
  }
  const ports = { admin: await closedPort(), h2: await closedPort(), dubbo: await closedPort(), keep: await closedPort() };
  const config = (s: State) =>
    mosnJson({
      admin: ports.admin,
      gracefulTimeout: '10s',
      routers: [pathRouter('r_h2', s.h2Route), pathRouter('r_h2_b', 'h2_b'), serviceRouter('r_dubbo', s.dubboRoute), serviceRouter('r_dubbo_b', 'dubbo_b')],
      listeners: [
        ...(s.listeners
          ? [proxyListener('h2', ports.h2, 'Http2', s.h2Router, { upstream: 'Http2' }), proxyListener('dubbo', ports.dubbo, 'dubbo', s.dubboRouter, { upstream: 'dubbo' })]
          : []),
        proxyListener('keep', ports.keep, 'Http1', 'r_h2_b', { upstream: 'Http2' }),
      ],
      clusters: [
        cluster('h2_a', [s.h2AHosts], { lb_type: s.lbA }),
        cluster('h2_b', [h2.B.address]),
        cluster('dubbo_a', [s.dubboAHosts], { lb_type: s.lbA }),
        cluster('dubbo_b', [dubbo.B.address]),
      ],
    });
  const s0: State = {
    h2Route: 'h2_a',
    dubboRoute: 'dubbo_a',
    h2AHosts: h2.A.address,
    dubboAHosts: dubbo.A.address,
    lbA: 'LB_ROUNDROBIN',
    listeners: true,
    h2Router: 'r_h2',
    dubboRouter: 'r_dubbo',
  };
  const mosn = await startMosnProcess(config(s0), cleanups);
  return {
    mosn,
    ports,
    h2,
    dubbo,
    dubboGates,
    s0,
    config,
    h2Client: async () => {
      const c = await h2Client(ports.h2);
      cleanups.push(() => c.close());
      return c;
    },
    consumer: () => {
      const c = dubboConsumer(`127.0.0.1:${ports.dubbo}`, { timeoutSec: 15 });
      cleanups.push(() => c.close());
      return c;
    },
  };
}

const HELD = 8;

interface InFlight {
  h2: Array<Promise<{ status: number; body: string } | Error>>;
  dubbo: Array<Promise<{ res: unknown; err: Error | null }>>;
}

/** HELD streams on `h2c` and HELD Dubbo calls on `consumer`, held by the A backends until their gates open. */
async function sendHeld(fx: Fixture, h2c: H2Client, consumer: TestConsumer): Promise<InFlight> {
  const inFlight: InFlight = {
    h2: Array.from({ length: HELD }, (_, i) => h2c.request(`/held/h${i}`, 20_000).catch((e: Error) => e)),
    dubbo: Array.from({ length: HELD }, (_, i) => consumer.call('held', [java.String(`d${i}`)])),
  };
  await waitUntil(
    () => fx.h2.A.gate.waiting === HELD && fx.dubboGates.A.waiting === HELD,
    5000,
    'every held stream and call has reached backend A',
    () => `h2 A waiting ${fx.h2.A.gate.waiting}, dubbo A waiting ${fx.dubboGates.A.waiting}`,
  );
  return inFlight;
}

/** Write `next`, SIGHUP, wait for `version`; the backends still hold what is in flight. Returns the SIGHUP. */
async function apply(fx: Fixture, next: State, version: number): Promise<{ at: number; mark: number }> {
  fx.mosn.write(fx.config(next));
  const h = fx.mosn.hup();
  await fx.mosn.waitStats((s) => s['config.version'] === version, 5000, `config.version ${version}`);
  expect(fx.h2.A.gate.waiting, 'the HTTP/2 streams are still in flight after the apply').toBe(HELD);
  expect(fx.dubboGates.A.waiting, 'the Dubbo calls are still in flight after the apply').toBe(HELD);
  return h;
}

/** The backends answer (~300 ms later); every held call completes with A's answer. */
async function releaseAndCheck(fx: Fixture, inFlight: InFlight): Promise<void> {
  await sleep(300);
  fx.h2.A.gate.open();
  fx.dubboGates.A.open();
  const h2 = await Promise.all(inFlight.h2);
  const dubbo = await Promise.all(inFlight.dubbo);
  expect.soft(
    h2.map((r) => (r instanceof Error ? r.message : r)),
    'the HTTP/2 streams in flight across the apply complete with A\'s answer',
  ).toEqual(Array.from({ length: HELD }, (_, i) => ({ status: 200, body: `A h${i}` })));
  expect.soft(
    dubbo.map((r) => ({ res: r.res, err: r.err?.message ?? null })),
    'the Dubbo calls in flight across the apply complete with dA\'s answer',
  ).toEqual(Array.from({ length: HELD }, (_, i) => ({ res: `dA d${i}`, err: null })));
}

const body = async (c: H2Client, path: string) => {
  try {
    const r = await c.request(path, 5000);
    return r.status === 200 ? r.body : `status ${r.status}: ${r.body}`;
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
};
const who = async (c: TestConsumer) => {
  const r = await c.call('whoami', []);
  return r.err ? `error: ${r.err.message}` : r.res;
};

/**
 * The start of each scenario with calls held across an apply: a client session and a consumer, answered by A;
 * HELD streams and calls held by A; then `next(fx)` applied as version 2. Returns them, the SIGHUP and its apply log line.
 */
async function heldAcrossApply(next: (fx: Fixture) => State): Promise<{ fx: Fixture; h2c: H2Client; consumer: TestConsumer; inFlight: InFlight; h: { at: number; mark: number }; log: LogLine }> {
  const fx = await setup();
  const h2c = await fx.h2Client();
  const consumer = fx.consumer();
  expect(await body(h2c, '/first')).toBe('A /first');
  expect(await who(consumer)).toBe('dA');

  const inFlight = await sendHeld(fx, h2c, consumer);
  const h = await apply(fx, next(fx), 2);
  const log = await fx.mosn.waitLog((l) => l.msg === 'config version 2 applied', h.mark, 2000, 'apply log');
  return { fx, h2c, consumer, inFlight, h, log };
}

/** New calls, on the connections that carry the held ones, are answered by backend `to` (HTTP/2) and `d<to>` (Dubbo). */
async function expectNewCallsTo(h2c: H2Client, consumer: TestConsumer, to: string): Promise<void> {
  expect.soft(await Promise.all([0, 1, 2].map((i) => body(h2c, `/new${i}`)))).toEqual([0, 1, 2].map((i) => `${to} /new${i}`));
  expect.soft(await Promise.all([0, 1, 2].map(() => who(consumer)))).toEqual([0, 1, 2].map(() => `d${to}`));
}

/** Neither client connection got GOAWAY or was closed. */
function expectStillOpen(h2c: H2Client, consumer: TestConsumer, what?: string): void {
  expect.soft({ goaways: h2c.goaways, closed: h2c.closed, dubboConnected: consumer.connected }, what).toEqual({ goaways: 0, closed: false, dubboConnected: true });
}

/** mosn closes its HTTP/2 connection to backend A (soft: the test goes on). */
async function expectAClosed(fx: Fixture, what: string): Promise<void> {
  await waitUntil(() => fx.h2.A.openSessions() === 0, 5000, what, () => `open sessions at A: ${fx.h2.A.openSessions()}`).catch(softFail);
}

describe('HTTP/2 streams and Dubbo calls in flight across a SIGHUP apply', () => {
  it('a route moves: the calls in flight complete from A, new calls on the same connections go to B, no connection is closed', async () => {
    const { fx, h2c, consumer, inFlight, log } = await heldAcrossApply((fx) => ({ ...fx.s0, h2Route: 'h2_b', dubboRoute: 'dubbo_b' }));
    expect.soft(log.changes).toEqual(['router update r_h2', 'router update r_dubbo']);
    // new calls, on the connections that carry the held ones, while those are still in flight
    await expectNewCallsTo(h2c, consumer, 'B');

    await releaseAndCheck(fx, inFlight);
    expect.soft(await body(h2c, '/after')).toBe('B /after');
    expectStillOpen(h2c, consumer, 'the client connections stay open');
    const stats = await fx.mosn.stats();
    expect.soft([stats['listener.h2.downstream_cx_total'], stats['listener.dubbo.downstream_cx_total']], 'one connection each, from start to end').toEqual([1, 1]);
  });

  // Backend C takes A's place in the A clusters: in place (hosts updated), or with another lb_type (the cluster is rebuilt)
  const toC: Array<{ name: string; next: (fx: Fixture) => State; changes: string[]; how: string; aCloses: string }> = [
    {
      name: "a cluster's hosts are replaced: the calls in flight on the removed host complete, new calls go to the new host, the old host's connections close",
      next: (fx) => ({ ...fx.s0, h2AHosts: fx.h2.C.address, dubboAHosts: fx.dubbo.C.address }),
      changes: ['cluster hosts h2_a', 'cluster hosts dubbo_a'],
      how: 'hosts updated in place',
      // a removed host gets no new requests, and its connections close once what was in flight is done
      aCloses: 'mosn closes its HTTP/2 connection to the removed host A',
    },
    {
      name: 'a cluster is rebuilt (lb_type and hosts changed): the calls in flight complete on the old pools, which then drain; new calls go to the new cluster',
      next: (fx) => ({ ...fx.s0, lbA: 'LB_RANDOM', h2AHosts: fx.h2.C.address, dubboAHosts: fx.dubbo.C.address }),
      changes: ['cluster rebuild h2_a', 'cluster rebuild dubbo_a'],
      how: 'rebuilt',
      aCloses: "the old cluster's pool drains: its HTTP/2 connection to A closes",
    },
  ];
  for (const t of toC) {
    it(t.name, async () => {
      const { fx, h2c, consumer, inFlight, log } = await heldAcrossApply(t.next);
      expect.soft(log.changes, t.how).toEqual(t.changes);
      await expectNewCallsTo(h2c, consumer, 'C');

      await releaseAndCheck(fx, inFlight);
      await expectAClosed(fx, t.aCloses);
      expectStillOpen(h2c, consumer, 'the client connections stay open');
    });
  }

  it('a listener is removed: its port refuses new connections at once, HTTP/2 gets GOAWAY, the calls in flight complete, then the connections close', async () => {
    const { fx, h2c, consumer, inFlight, h, log } = await heldAcrossApply((fx) => ({ ...fx.s0, listeners: false }));
    expect.soft(log.changes).toEqual(['listener remove h2', 'listener remove dubbo']);
    let probes: string[] = [];
    await waitUntil(
      async () => (probes = await Promise.all([tcpProbe(fx.ports.h2, 300), tcpProbe(fx.ports.dubbo, 300)])).every((p) => p === 'refused'),
      Math.max(0, h.at + 1000 - Date.now()),
      'the removed listeners refuse connections within 1 s of the SIGHUP',
      () => `probes: ${probes.join(', ')}`,
    ).catch(softFail);
    await waitUntil(() => h2c.goaways > 0, Math.max(0, h.at + 1000 - Date.now()), 'the HTTP/2 client gets GOAWAY within 1 s').catch(softFail);
    expect.soft({ closed: h2c.closed, dubboConnected: consumer.connected }, 'connections with calls in flight are still open').toEqual({ closed: false, dubboConnected: true });

    await releaseAndCheck(fx, inFlight);
    await waitUntil(() => h2c.closed && !consumer.connected, 3000, 'the drained connections close once nothing is in flight', () => `h2 closed ${h2c.closed}, dubbo connected ${consumer.connected}`).catch(softFail);
  });

  it('a listener gets a new filter chain: open connections keep the one they were accepted with, new connections get the new one', async () => {
    const { fx, h2c, consumer, inFlight, log } = await heldAcrossApply((fx) => ({ ...fx.s0, h2Router: 'r_h2_b', dubboRouter: 'r_dubbo_b' }));
    expect.soft(log.changes).toEqual(['listener update h2', 'listener update dubbo']);
    expect.soft(await body(h2c, '/old-conn'), 'the open HTTP/2 connection keeps its filter chain (r_h2 → A)').toBe('A /old-conn');
    expect.soft(await who(consumer), 'the open Dubbo connection keeps its filter chain (r_dubbo → dA)').toBe('dA');
    const h2new = await fx.h2Client();
    const consumerNew = fx.consumer();
    expect.soft(await body(h2new, '/new-conn'), 'a new HTTP/2 connection gets the new chain (r_h2_b → B)').toBe('B /new-conn');
    expect.soft(await who(consumerNew), 'a new Dubbo connection gets the new chain (r_dubbo_b → dB)').toBe('dB');

    await releaseAndCheck(fx, inFlight);
    expectStillOpen(h2c, consumer, 'the old connections stay open');
  });

  it('~300 ms calls keep flowing across three route flips: every call completes with an answer, the last flip wins within 1 s', async () => {
    const fx = await setup();
    const h2c = await fx.h2Client();
    const consumer = fx.consumer();
    // 8 slow streams on one HTTP/2 connection, 4 slow Dubbo calls on one Dubbo connection, back to back
    const h2Load = runLoad(
      'h2',
      8,
      async (lane) => {
        const r = await h2c.request(`/slow/300/l${lane}`, 10_000);
        if (r.status !== 200 || !r.body.endsWith(` l${lane}`)) throw new Error(`status ${r.status}: ${r.body}`);
        return r.body.split(' ')[0]!;
      },
      { maxPerLane: 500, maxMs: 60_000 },
    );
    const dubboLoad = runLoad(
      'dubbo',
      4,
      async () => {
        const r = await consumer.call<string>('slow', [java.Integer(300)]);
        if (r.err) throw r.err;
        return String(r.res);
      },
      { maxPerLane: 500, maxMs: 60_000 },
    );
    cleanups.push(() => Promise.all([h2Load.stop(), dubboLoad.stop()]));
    await waitUntil(() => (answeredBy(h2Load, 0).A ?? 0) >= 8 && (answeredBy(dubboLoad, 0).dA ?? 0) >= 4, 5000, 'the slow load is answered by A');

    let last = { at: 0, mark: 0 };
    const flips: State[] = [
      { ...fx.s0, h2Route: 'h2_b', dubboRoute: 'dubbo_b' },
      fx.s0,
      { ...fx.s0, h2Route: 'h2_b', dubboRoute: 'dubbo_b' },
    ];
    for (const [i, s] of flips.entries()) {
      fx.mosn.write(fx.config(s));
      last = fx.mosn.hup();
      await fx.mosn.waitStats((st) => st['config.version'] === i + 2, 5000, `config.version ${i + 2}`);
      await sleep(150); // inside the ~300 ms of the calls in flight
    }
    expect.soft(await switchProblems(h2Load, last.at, 'B', 1000, 8)).toEqual([]);
    expect.soft(await switchProblems(dubboLoad, last.at, 'dB', 1000, 4)).toEqual([]);
    await Promise.all([h2Load.stop(), dubboLoad.stop()]);
    expect.soft(h2Load.failures, 'HTTP/2 streams that failed').toEqual([]);
    expect.soft(dubboLoad.failures, 'Dubbo calls that failed').toEqual([]);
    expect.soft(Object.keys(answeredBy(h2Load, 0)).sort()).toEqual(['A', 'B']);
    expect.soft(Object.keys(answeredBy(dubboLoad, 0)).sort()).toEqual(['dA', 'dB']);
    expectStillOpen(h2c, consumer);
  });
});
