// How long an xDS push takes to be applied by mosn as one process and by mosn --workers 2 (the primary holds the
// ADS stream and gives the change to every worker; the ACK goes once every worker applied it): the time from the
// control plane's push of an EDS response to mosn's ACK of it, over PUSHES pushes (the endpoints alternate between
// two sets of 20 hosts), and the RSS of each process after. Uses the test control plane (@mosn/xds/testing, built).
//
//   node benchmarks/workers/xds-push.mjs            # PUSHES=40
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { TestControlPlane } = await import(join(root, 'packages/xds/dist/testing/index.js'));
const { packAny } = await import(join(root, 'packages/xds/dist/index.js'));
const CLI = join(root, 'packages/mosn/dist/cli.js');
const PUSHES = Number(process.env.PUSHES ?? 40);
const T = (k) => `type.googleapis.com/envoy.config.${k}`;
const [LDS, RDS, CDS, EDS] = [T('listener.v3.Listener'), T('route.v3.RouteConfiguration'), T('cluster.v3.Cluster'), T('endpoint.v3.ClusterLoadAssignment')];
const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const sock = (host, port) => ({ socket_address: { address: host, port_value: port } });
const endpoints = (base) => ({ cluster_name: 'svc', endpoints: [{ lb_endpoints: Array.from({ length: 20 }, (_, i) => ({ endpoint: { address: sock('127.0.0.1', base + i) }, health_status: 'HEALTHY' })) }] });
const rss = (pid) => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  } catch {
    return NaN;
  }
};
const children = (pid) =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .split(' ')
    .filter(Boolean)
    .map(Number);

async function run(workers) {
  const cp = await TestControlPlane.start();
  const port = await freePort();
  const hcm = { stat_prefix: 'http', codec_type: 'AUTO', rds: { route_config_name: 'routes', config_source: { ads: {} } }, http_filters: [{ name: 'envoy.filters.http.router', typed_config: packAny(ROUTER, {}) }] };
  cp.setResources(LDS, 'l1', [{ name: 'http', resource: { name: 'http', address: sock('127.0.0.1', port), filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: packAny(HCM, hcm) }] }] } }]);
  cp.setResources(RDS, 'r1', [{ name: 'routes', resource: { name: 'routes', virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'svc' } }] }] } }]);
  cp.setResources(CDS, 'c1', [{ name: 'svc', resource: { name: 'svc', type: 'EDS', eds_cluster_config: { eds_config: { ads: {} } }, connect_timeout: { seconds: 1 }, lb_policy: 'ROUND_ROBIN' } }]);
  cp.setResources(EDS, 'e0', [{ name: 'svc', resource: endpoints(20000) }]);
  const [host, cpPort] = [cp.address.slice(0, cp.address.lastIndexOf(':')), Number(cp.address.slice(cp.address.lastIndexOf(':') + 1))];
  const config = {
    node: { id: 'sidecar~127.0.0.1~bench.default~default.svc.cluster.local', cluster: 'bench' },
    dynamic_resources: { lds_config: { ads: {} }, cds_config: { ads: {} }, ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' } }] } },
    static_resources: { clusters: [{ name: 'xds-grpc', type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: 'xds-grpc', endpoints: [{ lb_endpoints: [{ endpoint: { address: sock(host, cpPort) } }] }] }, http2_protocol_options: {} }] },
    servers: [{ default_log_level: 'ERROR', default_log_path: 'stderr' }],
  };
  const dir = mkdtempSync(join(tmpdir(), 'mosn-xds-push-'));
  const file = join(dir, 'mosn.json');
  writeFileSync(file, JSON.stringify(config));
  const mosn = spawn(process.execPath, [CLI, 'start', '-c', file, ...(workers > 1 ? ['--workers', String(workers)] : [])], { stdio: 'inherit' });
  try {
    await cp.waitForRequest((r) => r.typeUrl === EDS && r.versionInfo === 'e0' && !r.errorDetail, 30_000);
    await sleep(1000);
    const times = [];
    for (let i = 1; i <= PUSHES; i++) {
      const since = cp.requests.length;
      const t0 = performance.now();
      cp.setResources(EDS, `e${i}`, [{ name: 'svc', resource: endpoints(i % 2 === 0 ? 20000 : 21000) }]);
      await cp.waitForRequest((r) => r.typeUrl === EDS && r.versionInfo === `e${i}`, 10_000, since);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(1);
    const pids = [mosn.pid, ...children(mosn.pid)];
    const streams = cp.requests.filter((r) => r.node !== undefined).length;
    console.log(`${workers === 1 ? 'one process ' : `${workers} workers   `}  push -> ACK ms: median ${at(0.5)}  p90 ${at(0.9)}  max ${at(1)}   ADS streams ${streams}   RSS KiB: ${pids.map(rss).join(' + ')}`);
  } finally {
    mosn.kill('SIGTERM');
    await new Promise((r) => mosn.once('exit', r));
    await cp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`xDS EDS push (20 hosts) to ACK, ${PUSHES} pushes each; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
await run(1);
await run(2);
