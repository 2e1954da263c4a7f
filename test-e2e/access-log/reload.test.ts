import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, cluster, get, httpBackend, startMosnWithCleanup, waitUntil } from '../helpers.js';
import { stepsOf } from '../reload/support.js';

// A reload that changes a listener's access_logs (mosn in this process, `mosn.apply`): the listener is updated in
// place, new connections write the new format to the new path, and the stop flushes what is held.

const cleanups = cleanupAfterEach();

function config(backend: string, accessLogs: unknown[]): Record<string, unknown> {
  return {
    servers: [
      {
        default_log_path: 'stderr',
        default_log_level: 'ERROR',
        routers: [{ router_config_name: 'r', virtual_hosts: [{ name: 'vh', domains: ['*'], routers: [{ match: { prefix: '/' }, route: { cluster_name: 'b' } }] }] }],
        listeners: [
          {
            name: 'l',
            address: '127.0.0.1:0',
            bind_port: true,
            filter_chains: [{ filters: [{ type: 'proxy', config: { downstream_protocol: 'Http1', router_config_name: 'r' } }] }],
            access_logs: accessLogs,
          },
        ],
      },
    ],
    cluster_manager: { clusters: [cluster('b', [backend])] },
  };
}

const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '');

describe('access logs and reload', () => {
  it('a changed format and path apply to new connections; removing access_logs stops the lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mosn-access-log-reload-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const backend = await httpBackend((_req, res) => res.end('ok'));
    cleanups.push(() => backend.close());
    const first = join(dir, 'first.log');
    const second = join(dir, 'second.log');
    const { mosn, p } = await startMosnWithCleanup(config(backend.address, [{ log_path: first, log_format: 'v1 %x-mosn-path%' }]), cleanups);
    await get(p, '/one');
    await waitUntil(() => read(first) === 'v1 /one\n', 3000, 'the first line', () => read(first));

    expect(stepsOf(await mosn.apply(config(backend.address, [{ log_path: second, log_format: 'v2 %x-mosn-path% %response_code%' }])))).toEqual(['listener update l']);
    await get(p, '/two');
    await waitUntil(() => read(second) === 'v2 /two 200\n', 3000, 'the line in the new format and file', () => read(second));
    expect(read(first)).toBe('v1 /one\n');

    expect(stepsOf(await mosn.apply(config(backend.address, [])))).toEqual(['listener update l']);
    await get(p, '/three');
    await mosn.stop(0); // flushes what the writers hold
    expect([read(first), read(second)]).toEqual(['v1 /one\n', 'v2 /two 200\n']);
  });
});
