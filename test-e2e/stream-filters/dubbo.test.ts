import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, cluster, startMosnWithCleanup } from '../helpers.js';
import { DubboConn, java, rawCall, startProvider, STATUS } from '../dubbo/peers.js';

// Stream filters on a Dubbo listener: frames built with hessian.js → mosn (in this process) → apache-dubbo-service.
// A filter sees the frame's header map (service, method, version, ...) and its reply is Dubbo's error status.

const cleanups = cleanupAfterEach();

async function mosnWith(streamFilters: unknown[]) {
  const provider = await startProvider('P');
  cleanups.push(() => provider.close());
  const config = {
    servers: [
      {
        default_log_path: 'stderr',
        default_log_level: 'ERROR',
        routers: [{ router_config_name: 'r', virtual_hosts: [{ name: 'vh', domains: ['*'], routers: [{ match: { headers: [{ name: 'service', value: '.*', regex: true }] }, route: { cluster_name: 'p' } }] }] }],
        listeners: [
          {
            name: 'l',
            address: '127.0.0.1:0',
            bind_port: true,
            filter_chains: [{ filters: [{ type: 'proxy', config: { downstream_protocol: 'dubbo', router_config_name: 'r' } }] }],
            stream_filters: streamFilters,
          },
        ],
      },
    ],
    cluster_manager: { clusters: [cluster('p', [provider.address])] },
  };
  const { p } = await startMosnWithCleanup(config, cleanups);
  const conn = await DubboConn.connect(p);
  cleanups.push(() => conn.close());
  return { provider, conn };
}

describe('stream filters on Dubbo', () => {
  it("fault matches the frame's method header: those calls get Dubbo's error (503: 40), others are served", async () => {
    const { provider, conn } = await mosnWith([{ type: 'fault', config: { abort: { status: 503, percentage: 100 }, headers: [{ name: 'method', value: 'audit' }] } }]);
    const aborted = await rawCall(conn, 1, { method: 'audit', args: [java.String('x')] });
    expect(aborted.frame.status).toBe(STATUS.BAD_REQUEST);
    const served = await rawCall(conn, 2, { method: 'echo', args: [java.String('fine')] });
    expect([served.frame.status, served.value]).toEqual([STATUS.OK, 'fine']);
    expect(provider.requests.map((r) => r.method)).toEqual(['echo']);
  });

  it('payload_limit: a body over the limit is answered by mosn, a small one served', async () => {
    const { provider, conn } = await mosnWith([{ type: 'payload_limit', config: { max_entity_size: 2048 } }]);
    const big = await rawCall(conn, 3, { method: 'echo', args: [java.String('z'.repeat(4096))] });
    // 413 has no Dubbo status of its own: the internal error's (70), as MOSN's mapping
    expect(big.frame.status).toBe(STATUS.SERVICE_ERROR);
    const small = await rawCall(conn, 4, { method: 'echo', args: [java.String('small')] });
    expect([small.frame.status, small.value]).toEqual([STATUS.OK, 'small']);
    expect(provider.requests.length).toBe(1);
  });
});
