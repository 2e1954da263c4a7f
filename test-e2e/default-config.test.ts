import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnMosn } from './helpers.js';

const run = promisify(execFile);

// MOSN's default configuration: client listener Http1 on 2045 → server listener Auto on 2046 → app
// listener on 2047 with a direct response. The README's first command runs exactly this.
describe('configs/mosn_config.json, three hops', () => {
  let mosn: Awaited<ReturnType<typeof spawnMosn>>;
  beforeAll(async () => {
    mosn = await spawnMosn(['start', '-c', 'configs/mosn_config.json']);
  });
  afterAll(() => {
    mosn?.child.kill('SIGKILL');
  });

  it('curl through all three hops gets "Welcome to MOSN!"', async () => {
    const { stdout } = await run('curl', ['-sS', '-i', 'http://127.0.0.1:2045/']);
    expect(stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(stdout).toContain('Welcome to MOSN!\nThe Cloud-Native Network Proxy Platform.\n');
  });

  it('each hop saw the request (admin stats)', async () => {
    await run('curl', ['-sS', 'http://127.0.0.1:2045/any/path?q=1']);
    const { stdout } = await run('curl', ['-sS', 'http://127.0.0.1:34901/api/v1/stats']);
    const stats = JSON.parse(stdout) as Record<string, number>;
    for (const l of ['clientListener', 'serverListener', 'appListener']) {
      expect(stats[`listener.${l}.downstream_rq_total`]).toBeGreaterThanOrEqual(2);
    }
  });

  it('exits 0 on SIGTERM after stopping gracefully', async () => {
    mosn.child.kill('SIGTERM');
    expect(await mosn.exited).toBe(0);
    expect(mosn.output()).toContain('mosn stopped');
    await expect(run('curl', ['-sS', 'http://127.0.0.1:2045/'])).rejects.toThrow();
  });
});
