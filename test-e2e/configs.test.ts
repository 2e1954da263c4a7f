import { readdirSync } from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { BoltFrame, boltCodec, buildFrame, CMD_CODE_GOAWAY } from '@mosn/protocol-bolt';
import { defaultExtensions, IoBuffer, loadConfigFile, readConfig } from 'mosn';
import { cleanupAfterEach, port, REPO_ROOT, startMosn } from './helpers.js';

const cleanups = cleanupAfterEach();

// Every example in configs/ is loaded here; the ones with a topology are also run by their own tests
// (mosn_config.json: default-config.test.ts, tcp_proxy.json: tcp-proxy.test.ts, mosn_xds_config.json:
// xds/bootstrap-file.test.ts, mosn_dubbo_registry.json: registry/dubbo-publish.test.ts, mosn_sofa_registry.json:
// registry/sofa-registry.test.ts).
describe('configs/', () => {
  const files = readdirSync(`${REPO_ROOT}configs`).filter((f) => /\.(json|ya?ml)$/.test(f));

  it('has the examples the README and the issues name', () => {
    expect(files).toEqual(expect.arrayContaining(['mosn_config.json', 'tcp_proxy.json', 'mosn_rpc_bolt_mesh.json']));
  });

  for (const f of files) {
    it(`${f} is valid, with no warnings`, () => {
      const { config, problems } = readConfig(loadConfigFile(`${REPO_ROOT}configs/${f}`), defaultExtensions());
      expect(problems.errors).toEqual([]);
      expect(problems.warnings).toEqual([]);
      // a bootstrap alone has no listeners of its own: the control plane sends them
      if (config?.xds?.bootstrap.mode !== 'xds') expect(config?.listeners.length).toBeGreaterThan(0);
    });
  }
});

describe('configs/mosn_rpc_bolt_mesh.json on graceful stop', () => {
  it('sends Bolt GoAway to clients of the listener with enable_bolt_goaway, then closes', async () => {
    const cfg = loadConfigFile(`${REPO_ROOT}configs/mosn_rpc_bolt_mesh.json`) as any;
    cfg.servers[0].default_log_path = 'stderr';
    for (const l of cfg.servers[0].listeners) l.address = '127.0.0.1:0';
    delete cfg.admin;
    const mosn = await startMosn(cfg);
    cleanups.push(() => mosn.stop(0));
    const readFrames = (p: number) => {
      const s = net.connect(p, '127.0.0.1');
      const frames: BoltFrame[] = [];
      const buf = new IoBuffer();
      const closed = new Promise<void>((r) => s.on('close', () => r()));
      s.on('data', (c: Buffer) => {
        buf.append(c);
        for (let f = boltCodec.decode(buf, { maxFrameSize: 1 << 20 }); f instanceof BoltFrame; f = boltCodec.decode(buf, { maxFrameSize: 1 << 20 })) frames.push(f);
      });
      return { s, frames, closed };
    };
    const server = readFrames(port(mosn.listenerAddress('serverListener')));
    const client = readFrames(port(mosn.listenerAddress('clientListener')));
    // a heartbeat first, answered by mosn itself, so both connections are established and served
    const hb = buildFrame({ version: 1, kind: 'request', requestId: 5, cmdCode: 0, timeout: -1 });
    server.s.write(Buffer.concat(boltCodec.encode(hb)));
    client.s.write(Buffer.concat(boltCodec.encode(hb)));
    await new Promise((r) => setTimeout(r, 100));
    expect(server.frames.map((f) => [f.kind, f.isHeartbeat(), f.requestId])).toEqual([['response', true, 5]]);
    await mosn.stop(2000);
    await Promise.all([server.closed, client.closed]);
    expect(server.frames.some((f) => f.cmdCode === CMD_CODE_GOAWAY)).toBe(true);
    // the client listener did not ask for GoAway: its client sees only the heartbeat answer
    expect(client.frames.map((f) => f.cmdCode)).toEqual([0]);
  });
});
