import { describe, expect, it } from 'vitest';
import {
  BoltConn,
  CMD_CODE,
  CMD_TYPE,
  encodeHeartbeat,
  encodeRequest,
  OTHER_SERVICE,
  rawCall,
  rpcClient,
  startRpcServer,
  type TestClient,
  type TestServer,
} from './peers.js';
import { cleanupAfterEach } from '../helpers.js';

// client → server, no mosn: proves the harness (and documents the peers) before mosn is put in between.

const cleanups = cleanupAfterEach();

async function server(name = 'A'): Promise<TestServer> {
  const s = await startRpcServer(name);
  cleanups.push(s.close);
  return s;
}
function client(address: string): TestClient {
  const c = rpcClient(address);
  cleanups.push(c.close);
  return c;
}
async function conn(port: number): Promise<BoltConn> {
  const c = await BoltConn.connect(port);
  cleanups.push(() => c.close());
  return c;
}

describe('the Bolt harness, directly (client → sofa-rpc-node server)', () => {
  it('binds 127.0.0.1 on port 0 and leaves no uncaughtException handler behind', async () => {
    const before = process.listeners('uncaughtException').length;
    const s = await server();
    expect(s.host).toBe('127.0.0.1');
    expect(s.port).toBeGreaterThan(0);
    expect(process.listeners('uncaughtException').length).toBe(before);
  });

  it('echo and plus through RpcClient; one connection per client', async () => {
    const s = await server();
    const c = client(s.address);
    expect(await c.invoke('echo', ['hello'])).toBe('hello');
    expect(await c.invoke('plus', [2, 3])).toBe(5);
    expect(await c.invoke('whoami', [], { service: OTHER_SERVICE })).toBe('A');
    expect(s.connections).toBe(1);
    expect(s.requests.map((r) => r.method)).toEqual(['echo', 'plus', 'whoami']);
    expect(s.requests[0]).toMatchObject({ service: 'com.alipay.test.TestService:1.0', args: ['hello'], protocolType: 'bolt', crcEnable: false });
  });

  it('a thrown error reaches the client with its message; the server keeps serving', async () => {
    const s = await server();
    const c = client(s.address);
    await expect(c.invoke('fail', [])).rejects.toThrow(/boom from A/);
    expect(await c.invoke('echo', ['after'])).toBe('after');
  });

  it('an unknown method and an unknown service are errors; the unknown service is an error event', async () => {
    const s = await server();
    const c = client(s.address);
    await expect(c.invoke('nope', [])).rejects.toThrow(/Can not find method: com\.alipay\.test\.TestService:1\.0#nope\(\)/);
    await expect(c.invoke('echo', ['x'], { service: 'com.alipay.test.Missing:1.0' })).rejects.toThrow(/not found service: com\.alipay\.test\.Missing:1\.0/);
    expect(s.errors.map((e) => e.message)).toEqual(['not found service: com.alipay.test.Missing:1.0']);
  });

  it('raw frames: a response carries the request id and a non-zero status on error', async () => {
    const s = await server();
    const c = await conn(s.port);
    const ok = await rawCall(c, 41, { method: 'echo', args: ['raw'] });
    expect(ok.frame).toMatchObject({ proto: 1, type: CMD_TYPE.response, cmdCode: CMD_CODE.response, requestId: 41, status: 0 });
    expect(ok.appResponse).toBe('raw');
    const bad = await rawCall(c, 42, { method: 'fail' });
    expect(bad.frame.status).not.toBe(0);
    expect(bad.error?.message).toMatch(/boom from A/);
  });

  it('one-way: the request reaches the server, which answers it anyway (a proxy must drop that answer)', async () => {
    const s = await server();
    const c = await conn(s.port);
    c.write(encodeRequest(51, { method: 'echo', args: ['one-way'], oneway: true }));
    const answer = await c.response(51);
    expect(answer.raw[1]).toBe(CMD_TYPE.response);
    expect(s.requests.map((r) => r.args)).toEqual([['one-way']]);
  });

  it('heartbeats v1 and v2 are answered by the server with an ack of the same id and version', async () => {
    const s = await server();
    const c = await conn(s.port);
    c.write(encodeHeartbeat(61, 'v1'));
    expect(await c.response(61)).toMatchObject({ proto: 1, cmdCode: CMD_CODE.heartbeat, status: 0 });
    c.write(encodeHeartbeat(62, 'v2'));
    expect(await c.response(62)).toMatchObject({ proto: 2, cmdCode: CMD_CODE.heartbeat, status: 0, crc: true, crcValid: true });
    expect(s.heartbeats).toBe(2);
    expect(s.requests).toHaveLength(0);
  });

  it('v2 with CRC: the server answers in v2 with a valid CRC; a bad CRC closes the connection', async () => {
    const s = await server();
    const c = await conn(s.port);
    const r = await rawCall(c, 71, { method: 'echo', args: ['v2'], version: 'v2' });
    expect(r.frame).toMatchObject({ proto: 2, requestId: 71, status: 0, crc: true, crcValid: true });
    expect(r.appResponse).toBe('v2');
    expect(s.requests[0]).toMatchObject({ protocolType: 'bolt2', crcEnable: true });
    const frame = encodeRequest(72, { method: 'echo', args: ['v2'], version: 'v2' });
    frame[frame.length - 1]! ^= 0xff;
    c.write(frame);
    expect((await c.outcome(72)).kind).toBe('closed');
    expect(s.requests).toHaveLength(1);
  });

  it('2,000 concurrent calls from 4 clients all get their own answers', async () => {
    const s = await server();
    const clients = [0, 1, 2, 3].map(() => client(s.address));
    const results = await Promise.all(
      Array.from({ length: 2000 }, (_, i) => clients[i % 4]!.invoke('echo', [`payload-${i}`], { timeout: 10_000 })),
    );
    results.forEach((r, i) => expect(r).toBe(`payload-${i}`));
    expect(s.connections).toBe(4);
  }, 30_000);
});
