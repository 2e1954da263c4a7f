import { describe, expect, it } from 'vitest';
import type { TestCert } from '@mosn/net/testing';
import type { Mosn } from 'mosn';
import { cleanupAfterEach, cluster, port, startMosn } from '../helpers.js';
import { BoltConn, CMD_TYPE, decodeResponse as decodeBolt, encodeRequest as encodeBolt, rpcClient, startRpcServer } from '../bolt/peers.js';
import { DubboConn, dubboConsumer, java, rawCall as dubboRawCall, startProvider, STATUS } from '../dubbo/peers.js';
import { certsForFile, clusterTlsContext, mtlsServerContext, rpcProxyConfig } from './support.js';

// SOFARPC (Bolt) and Dubbo between two sidecars over mutual TLS, with real peers at both ends:
//   client (sofa-rpc-node RpcClient / dubbo2.js) → client mosn (cluster "mesh" with tls_context and the client
//   certificate) ══ mTLS ══▶ server mosn (listener tls_context with verify_client + require_client_cert, as in
//   MOSN's SofaRpc ingress) → server (sofa-rpc-node RpcServer / apache-dubbo-service).
// A client mosn without an accepted certificate gets RPC error answers (not a hang), and the server mosn counts
// the refused handshakes.

const certs = certsForFile();
const cleanups = cleanupAfterEach();

async function started(config: unknown): Promise<Mosn> {
  const m = await startMosn(config);
  cleanups.push(() => m.stop(0));
  return m;
}

/** The server mosn (mTLS listener → cluster `app` at `backend`) and a client mosn dialing it with `clientCert`. */
async function sidecars(protocol: string, backend: string, clientCert: TestCert | undefined) {
  const server = await started(rpcProxyConfig({ protocol, target: 'app', clusters: [cluster('app', [backend])], tls: { tls_context: mtlsServerContext(certs()) } }));
  const serverPort = port(server.listenerAddress('l'));
  const client = await started(
    rpcProxyConfig({
      protocol,
      target: 'mesh',
      clusters: [cluster('mesh', [`127.0.0.1:${serverPort}`], { tls_context: clusterTlsContext(certs(), clientCert) })],
    }),
  );
  return { server, serverPort, client, clientPort: port(client.listenerAddress('l')) };
}

const BOLT_NO_PROCESSOR = 0x06;

const refusedCerts: Array<[string, () => TestCert | undefined]> = [
  ['no client certificate', () => undefined],
  ['a client certificate from another CA', () => certs().otherClient],
];

describe('SOFARPC Bolt over mTLS between two mosn (sofa-rpc-node at both ends)', () => {
  it('2,000 calls from two RpcClients are all answered, each to its caller; the hop is TLS (a plaintext Bolt client is refused)', async () => {
    const S = await startRpcServer('S');
    cleanups.push(S.close);
    const { server, serverPort, clientPort } = await sidecars('bolt', S.address, certs().client);
    const clients = [rpcClient(`127.0.0.1:${clientPort}`), rpcClient(`127.0.0.1:${clientPort}`)];
    for (const c of clients) cleanups.push(c.close);
    const payload = (i: number) => `call-${i}-${'x'.repeat(i % 50)}`;
    const results = await Promise.allSettled(Array.from({ length: 2000 }, (_, i) => clients[i % 2]!.invoke<string>('echo', [payload(i)], { timeout: 20_000 })));
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed.length, `first failure: ${String((failed[0] as PromiseRejectedResult | undefined)?.reason)}`).toBe(0);
    expect(results.findIndex((r, i) => (r as PromiseFulfilledResult<string>).value !== payload(i)), 'an answer went to the wrong caller').toBe(-1);
    expect(await clients[0]!.invoke('plus', [20, 22])).toBe(42);
    await expect(clients[1]!.invoke('fail', [])).rejects.toThrow(/boom from S/);
    expect(S.requests).toHaveLength(2002);
    expect(server.stats.get('listener.l.downstream_tls_handshake_failed') ?? 0).toBe(0);

    // The server mosn's listener speaks only TLS: a Bolt request in plaintext is no ClientHello.
    const plain = await BoltConn.connect(serverPort);
    cleanups.push(() => plain.close());
    plain.write(encodeBolt(77, { method: 'echo', args: ['plaintext'] }));
    expect(await plain.outcome(77, 5000)).toEqual({ kind: 'closed' });
    expect(server.stats.get('listener.l.downstream_tls_handshake_failed')).toBeGreaterThanOrEqual(1);
    expect(S.requests).toHaveLength(2002);
  }, 60_000);

  it.each(refusedCerts)('a client mosn with %s: Bolt error answers at once, no hang; the server mosn counts the failed handshakes', async (_label, clientCert) => {
    const S = await startRpcServer('S');
    cleanups.push(S.close);
    const { server, clientPort } = await sidecars('bolt', S.address, clientCert());

    const raw = await BoltConn.connect(clientPort);
    cleanups.push(() => raw.close());
    const started = Date.now();
    // the request's own timeout (10 s) is far away: an answer before it is mosn's, not a timeout
    raw.write(encodeBolt(101, { method: 'echo', args: ['refused?'], timeout: 10_000 }));
    const answer = await raw.response(101, 5000);
    expect(answer.type).toBe(CMD_TYPE.response);
    // NO_PROCESSOR: what mosn answers when the upstream connection fails or is reset (MOSN: 502 → NO_PROCESSOR)
    expect(answer.status, 'a Bolt error status from mosn').toBe(BOLT_NO_PROCESSOR);
    expect(decodeBolt(answer).error).not.toBeNull();
    expect(Date.now() - started).toBeLessThan(5000);

    // sofa-rpc-node's client sees an error too, long before its 10 s response timeout
    const c = rpcClient(`127.0.0.1:${clientPort}`);
    cleanups.push(c.close);
    const t0 = Date.now();
    const err = await c.invoke('echo', ['refused?'], { timeout: 10_000 }).then(
      (v) => new Error(`answered: ${String(v)}`),
      (e: Error) => e,
    );
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(err.message).not.toMatch(/^answered/);
    expect(err.name).not.toMatch(/Timeout/);

    expect(server.stats.get('listener.l.downstream_tls_handshake_failed')).toBeGreaterThanOrEqual(1);
    expect(S.requests).toHaveLength(0);
    // and the connection of the client to its mosn is still usable: another call is answered (with an error)
    raw.write(encodeBolt(102, { method: 'echo', args: ['again'], timeout: 10_000 }));
    expect((await raw.response(102, 5000)).status).toBe(BOLT_NO_PROCESSOR);
  }, 30_000);
});

describe('Dubbo over mTLS between two mosn (dubbo2.js → apache-dubbo-service)', () => {
  it('500 calls are all answered, each to its caller; typed arguments and exceptions pass', async () => {
    const P = await startProvider('P');
    cleanups.push(P.close);
    const { server, clientPort } = await sidecars('dubbo', P.address, certs().client);
    const c = dubboConsumer(`127.0.0.1:${clientPort}`, { timeoutSec: 20 });
    cleanups.push(() => c.close());
    const replies = await Promise.all(Array.from({ length: 500 }, (_, i) => c.call<string>('echo', [java.String(`dubbo-${i}`)])));
    const wrong = replies.findIndex((r, i) => r.err !== null || r.res !== `dubbo-${i}`);
    expect(wrong, `reply ${wrong}: ${JSON.stringify(replies[wrong])}`).toBe(-1);
    expect(await c.call('plus', [java.Integer(20), java.Integer(22)])).toEqual({ res: 42, err: null });
    expect((await c.call('fail', [])).err?.message).toBe('boom from P');
    expect(P.requests).toHaveLength(502);
    expect(server.stats.get('listener.l.downstream_tls_handshake_failed') ?? 0).toBe(0);
  }, 60_000);

  it.each(refusedCerts)('a client mosn with %s: Dubbo error answers at once, no hang; the server mosn counts the failed handshakes', async (_label, clientCert) => {
    const P = await startProvider('P');
    cleanups.push(P.close);
    const { server, clientPort } = await sidecars('dubbo', P.address, clientCert());

    const raw = await DubboConn.connect(clientPort);
    cleanups.push(() => raw.close());
    const t0 = Date.now();
    const r = await dubboRawCall(raw, 201, { method: 'echo', args: [java.String('refused?')] }, 5000);
    expect(r.frame.isRequest).toBe(false);
    // SERVICE_NOT_FOUND: what mosn answers when the upstream connection fails or is reset (MOSN: 502 → 60)
    expect(r.frame.status, `status ${r.frame.status}: ${r.error}`).toBe(STATUS.SERVICE_NOT_FOUND);
    expect(Date.now() - t0).toBeLessThan(5000);

    // dubbo2.js: an error, well before its 10 s invoke timeout
    const c = dubboConsumer(`127.0.0.1:${clientPort}`, { timeoutSec: 10 });
    cleanups.push(() => c.close());
    const t1 = Date.now();
    const viaClient = await c.call('echo', [java.String('refused?')]);
    expect(Date.now() - t1).toBeLessThan(5000);
    expect(viaClient.res).toBeNull();
    expect(viaClient.err).not.toBeNull();

    expect(server.stats.get('listener.l.downstream_tls_handshake_failed')).toBeGreaterThanOrEqual(1);
    expect(P.requests).toHaveLength(0);
  }, 30_000);
});
