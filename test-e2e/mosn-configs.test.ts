import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultExtensions, loadConfigFile, readConfig, type ConfigProblems } from 'mosn';

// The compatibility corpus: MOSN's own example configs. The copy in the repo (fixtures/, so a clean clone
// tests on its own) comes first; the project's shared folder beside the work tree is the fallback.
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const CORPUS_CANDIDATES = [new URL('../fixtures/mosn-configs/', import.meta.url), new URL('../../shared/mosn-configs/', import.meta.url)].map((u) => fileURLToPath(u));
const CORPUS = CORPUS_CANDIDATES.find((d) => existsSync(d));
const CLI = join(REPO_ROOT, 'packages/mosn/dist/cli.js');

const LISTENER0 = 'servers[0].listeners[0]';
const FILTER0 = `${LISTENER0}.filter_chains[0].filters[0]`;
const STREAM_FILTER0 = `${LISTENER0}.stream_filters[0].type`;
const TLS0 = `${LISTENER0}.filter_chains[0].tls_context`;
const NACOS0 = `${LISTENER0}.stream_filters[0].config.dynamic_data_resources[0].resource_type`;

/**
 * What each config of the corpus does today: 'valid', or the JSON paths of its errors, in the order the
 * validator reports them. A change in what mosn-ts supports shows up here as a diff. docs/compat.md has the
 * same table in words.
 */
const EXPECTED: Record<string, 'valid' | string[]> = {
  // Run as they are.
  'configs/mosn_config.json': 'valid',
  'configs/mosn_rpc_config.json': 'valid', // healthcheck: retired stream filter, a no-op with a warning
  'configs/mosn_rpc_config_bolt.json': 'valid',
  'configs/mosn_config_broadcast.json': 'valid', // mirror with broadcast (docs/filters.md)
  'configs/mosn_config_mirror.json': 'valid', // mirror and request_mirror_policies (docs/filters.md)
  'examples/codes/dubbo/client_config.json': 'valid',
  'examples/codes/slow-start-sample/config.json': 'valid', // slow_start read and applied (LB_WEIGHTED_ROUNDROBIN)
  'examples/codes/dubbo/server_config.json': 'valid',
  'examples/codes/filter/ipaccess/config.json': 'valid', // ip_access (docs/filters.md)
  'examples/codes/filter/jwtauthn/config.json': 'valid', // jwt_authn (docs/filters.md); run by test-e2e/stream-filters/jwt-authn.test.ts
  'examples/codes/filter/transcoder/server_config.json': 'valid',
  'examples/codes/flowcontrol-sample/client_config.json': 'valid',
  'examples/codes/flowcontrol-sample/server_config.json': 'valid', // flowControlFilter; log_path warned
  'examples/codes/http-sample/client_config.json': 'valid',
  'examples/codes/http-sample/server_config.json': 'valid',
  'examples/codes/protocol-auto-sample/client_config.json': 'valid',
  'examples/codes/protocol-auto-sample/server_config.json': 'valid',
  'examples/codes/sofarpc-with-xprotocol-sample/client_config.json': 'valid',
  'examples/codes/sofarpc-with-xprotocol-sample/server_config.json': 'valid',
  'examples/codes/tcpproxy-sample/config.json': 'valid',
  'examples/codes/trace/skywalking-plugin/http/config.json': 'valid', // tracing: warned and ignored
  'examples/codes/trace/skywalking/http/config.json': 'valid',
  'examples/codes/trace/zipkin/http/mosn_config.yaml': 'valid',
  'examples/codes/uds-sample/client_config.json': 'valid',
  'examples/codes/uds-sample/server_config.json': 'valid',

  // flowControlFilter's rules from nacos (dynamic_data_resources): mosn-ts reads rules from the config only.
  'examples/codes/flowcontrol-sample/datasource-nacos/server_config_nacos.json': [NACOS0],

  // Stream filters mosn-ts does not have yet.
  'configs/mosn_config_wasm.json': [STREAM_FILTER0],
  'examples/codes/dsl-sample/config.json': [STREAM_FILTER0, 'servers[0].listeners[1].stream_filters[0].type'],
  'examples/codes/filter/transcoder/client_config.json': [STREAM_FILTER0],
  'examples/codes/mosn-extensions/plugin/filter/config.json': [STREAM_FILTER0],
  'examples/codes/mosn-extensions/plugin/so/config.json': [`${LISTENER0}.stream_filters[0].go_plugin_config`],
  'examples/codes/mosn-extensions/simple_streamfilter/config.json': [STREAM_FILTER0],
  'examples/codes/plugin/pluginfilter/config.json': [STREAM_FILTER0],
  'examples/codes/seata/server_a/service_a_config.json': [STREAM_FILTER0],
  'examples/codes/seata/server_b/service_b_config.json': [STREAM_FILTER0],
  'examples/codes/seata/server_c/service_c_config.json': [STREAM_FILTER0],
  'examples/codes/wasm/http/config.json': [STREAM_FILTER0],
  'examples/codes/wasm/httpCall/config.json': [STREAM_FILTER0],
  'examples/codes/wasm/sofarpc/config.json': [STREAM_FILTER0],

  // TLS (docs/tls.md): read with the corpus's own certificates (examples/codes/certs), resolved against each
  // config's folder.
  'examples/codes/flowcontrol-sample/tls_client_config.json': 'valid',
  'examples/codes/http-sample/tls_client_config.json': 'valid',
  'examples/codes/http-sample/tls_server_config.json': 'valid',
  'examples/codes/protocol-auto-sample/tls_client_config.json': 'valid',
  'examples/codes/protocol-auto-sample/tls_server_config.json': 'valid',
  'examples/codes/sofarpc-with-xprotocol-sample/tls_client_config.json': 'valid',
  'examples/codes/sofarpc-with-xprotocol-sample/tls_server_config.json': 'valid',
  'examples/codes/flowcontrol-sample/tls_server_config.json': 'valid', // flowControlFilter over mutual TLS
  // "../certs/..." from datasource-nacos/ names flowcontrol-sample/certs, which does not exist (MOSN resolves
  // against the working directory, so it works there only when started from a sibling of certs/).
  'examples/codes/flowcontrol-sample/datasource-nacos/tls_server_config_nacos.json': [`${TLS0}.ca_cert`, `${TLS0}.cert_chain`, `${TLS0}.private_key`, NACOS0],
  // "type": "loader" is a plugin's certificate loader, and without it the listener has no certificate.
  'examples/codes/mosn-extensions/plugin/cert_loader/config.json': [`${TLS0}.type`, `${TLS0}.cert_chain`, STREAM_FILTER0],

  // Protocols mosn-ts does not serve yet (Dubbo, HTTP/2, third-party codecs).
  'configs/mosn_rpc_config_wasm.json': [
    `${FILTER0}.config.extend_config.sub_protocol`,
    'servers[0].listeners[1].filter_chains[0].filters[0].config.extend_config.sub_protocol',
    'third_part_codec.codecs[0].type',
  ],
  'examples/codes/xprotocol_with_goplugin_example/client_config.json': [`${FILTER0}.config.downstream_protocol`, 'third_part_codec.codecs[0].type'],
  'examples/codes/xprotocol_with_goplugin_example/server_config.json': [`${FILTER0}.config.downstream_protocol`, 'third_part_codec.codecs[0].type'],

  // Listener kinds: original destination (tproxy), UDP, tunnels, protocol fallback.
  'examples/codes/tproxy/tproxy_egress/config.json': [`${LISTENER0}.listener_filters[0].type`, `${LISTENER0}.use_original_dst`, 'servers[0].listeners[1].bind_port'],
  'examples/codes/tproxy/tproxy_ingress/config.json': [`${LISTENER0}.listener_filters[0].type`, `${LISTENER0}.use_original_dst`, 'servers[0].listeners[1].bind_port'],
  'examples/codes/udpproxy-sample/config.json': [`${LISTENER0}.network`, `${FILTER0}.type`],
  'examples/codes/tunnel-sample/agent_config.json': ['extends[0].type'],
  'examples/codes/tunnel-sample/client_config.json': ['servers[0].listeners[1].filter_chains[0].filters[0].type'],
  'examples/codes/proxy-fallback-example/config.json': [`${FILTER0}.config.fallback_for_unknown_protocol`, `${LISTENER0}.filter_chains[0].filters[1].type`],
  // connection_manager is a retired no-op; the router it used to declare inline is missing.
  'configs/mosn_config_dev.json': [`${FILTER0}.config.router_config_name`],

  // xDS bootstraps.
  // dubbo_stream is read (its `subset` is warned about); the router comes from xDS, and the admin port is a string.
  'examples/codes/filter/dubbo/install/build/mosn_config_dubbo_xds.json': [`${FILTER0}.config.router_config_name`, 'admin.address.socket_address.port_value'],
  'examples/codes/xds-server-sample/config.json': 'valid',

  // Not configs of a standalone MOSN: named stream filter chains for MOSN inside Envoy (or libmosn.so), a
  // plugin's own settings, the example xDS server's own config.
  'configs/mosn_so.json': ['servers', 'stream_filters'],
  'examples/codes/envoy-go-extension/mosn.json': ['stream_filters'],
  'examples/codes/mosn-extensions/plugin/filter/checkconf.json': ['servers'],
  'examples/codes/xds-server-sample/config/config.yaml': ['servers'],
};

function corpusFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? corpusFiles(join(dir, e.name)) : /\.(json|ya?ml)$/.test(e.name) ? [join(dir, e.name)] : []))
    .sort();
}

/** Every message must read well: a path, and no holes where a value should be. */
function expectReadable(problems: ConfigProblems): void {
  for (const p of [...problems.errors, ...problems.warnings]) {
    expect(p.path, p.message).not.toBe('');
    expect(`${p.path}: ${p.message}`).not.toMatch(/undefined|\[object Object\]|NaN/);
  }
}

/** Read `raw`; certificate paths are resolved against `baseDir`, as `mosn start` resolves them against the config's folder. */
function check(raw: unknown, baseDir?: string) {
  const { config, problems } = readConfig(raw, defaultExtensions(), baseDir !== undefined ? { baseDir } : {});
  expectReadable(problems);
  return { config, problems, errorPaths: problems.errors.map((e) => e.path) };
}

const files = CORPUS ? corpusFiles(CORPUS) : [];

describe('MOSN config corpus', () => {
  it('is there', () => {
    if (!CORPUS) throw new Error(`MOSN's config corpus was not found; looked in: ${CORPUS_CANDIDATES.join(', ')}`);
    expect(files.length).toBeGreaterThanOrEqual(65);
  });

  it('has an expected outcome for every config, and none for a config that is gone', () => {
    const found = files.map((f) => relative(CORPUS!, f));
    expect(found.filter((f) => !(f in EXPECTED)), 'configs with no entry in EXPECTED').toEqual([]);
    expect(Object.keys(EXPECTED).filter((f) => !found.includes(f)), 'EXPECTED entries with no config').toEqual([]);
  });

  for (const file of files) {
    const name = relative(CORPUS!, file);
    it(name, () => {
      const { config, problems, errorPaths } = check(loadConfigFile(file), dirname(file));
      const expected = EXPECTED[name];
      if (expected === 'valid') {
        expect(problems.errors).toEqual([]);
        expect(config).toBeDefined();
      } else {
        expect(errorPaths).toEqual(expected);
        expect(config).toBeUndefined();
      }
    });
  }
});

/** A small valid config: one HTTP listener, one router, one cluster. */
function base(): any {
  return {
    servers: [
      {
        default_log_path: 'stderr',
        routers: [{ router_config_name: 'r', virtual_hosts: [{ name: 'vh', domains: ['*'], routers: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }] }] }],
        listeners: [
          {
            name: 'l',
            address: '127.0.0.1:2045',
            bind_port: true,
            filter_chains: [{ filters: [{ type: 'proxy', config: { downstream_protocol: 'Http1', router_config_name: 'r' } }] }],
          },
        ],
      },
    ],
    cluster_manager: { clusters: [{ name: 'c', type: 'SIMPLE', lb_type: 'LB_RANDOM', hosts: [{ address: '127.0.0.1:8080' }] }] },
  };
}

function only(problems: ConfigProblems, path: string): string {
  expect(problems.errors.map((e) => e.path)).toEqual([path]);
  return problems.errors[0]!.message;
}

describe('hand-made configs', () => {
  it('the base config is valid, with no warnings', () => {
    const { config, problems } = check(base());
    expect(problems.errors).toEqual([]);
    expect(problems.warnings).toEqual([]);
    expect(config?.listeners.map((l) => l.name)).toEqual(['l']);
  });

  it('a value of the wrong type: its path and what was expected', () => {
    const cfg = base();
    cfg.servers[0].listeners[0].address = 2045;
    expect(only(check(cfg).problems, `${LISTENER0}.address`)).toBe('expected a string, got number 2045');
    const cfg2 = base();
    cfg2.cluster_manager.clusters[0].connect_timeout = 'soon';
    expect(only(check(cfg2).problems, 'cluster_manager.clusters[0].connect_timeout')).toMatch(/expected a duration such as "10s".*got string "soon"/);
    const cfg3 = base();
    cfg3.servers[0].listeners = {};
    expect(only(check(cfg3).problems, 'servers[0].listeners')).toBe('expected an array, got an object');
  });

  it('a missing required key', () => {
    const cfg = base();
    delete cfg.servers[0].routers[0].router_config_name;
    const { problems } = check(cfg);
    expect(problems.errors[0]).toEqual({ path: 'servers[0].routers[0].router_config_name', message: 'is required: expected a string' });
    const cfg2 = base();
    delete cfg2.servers[0].listeners[0].address;
    expect(only(check(cfg2).problems, `${LISTENER0}.address`)).toBe('is required: expected a string');
  });

  it('an unknown network filter lists the known ones', () => {
    const cfg = base();
    cfg.servers[0].listeners[0].filter_chains[0].filters[0].type = 'http_connection_manager';
    expect(only(check(cfg).problems, `${FILTER0}.type`)).toMatch(/"http_connection_manager".*supported: proxy, tcp_proxy, fault_inject/);
  });

  it('an unknown protocol lists the known ones', () => {
    const cfg = base();
    cfg.servers[0].listeners[0].filter_chains[0].filters[0].config.downstream_protocol = 'Gopher';
    expect(only(check(cfg).problems, `${FILTER0}.config.downstream_protocol`)).toBe('unknown protocol "Gopher"; known: Auto, Http2, Http1, bolt, boltv2, dubbo');
  });

  it('an unknown lb_type lists the known ones; a MOSN one not supported yet says so', () => {
    const cfg = base();
    cfg.cluster_manager.clusters[0].lb_type = 'LB_FASTEST';
    const known = 'LB_ROUNDROBIN, LB_RANDOM, LB_WEIGHTED_ROUNDROBIN, LB_LEAST_REQUEST, LB_LEAST_CONNECTION, LB_MAGLEV, LB_REQUEST_ROUNDROBIN, LB_PEAK_EWMA';
    expect(only(check(cfg).problems, 'cluster_manager.clusters[0].lb_type')).toBe(`unknown lb_type "LB_FASTEST"; known: ${known}`);
    // LB_ORIGINAL_DST is the ORIGINAL_DST cluster's balancer (docs/original-dst.md); accepted on any cluster, as in MOSN
    cfg.cluster_manager.clusters[0].lb_type = 'LB_ORIGINAL_DST';
    expect(check(cfg).problems.errors).toEqual([]);
  });

  it('an unknown cluster type lists the known ones', () => {
    const cfg = base();
    cfg.cluster_manager.clusters[0].type = 'EDS';
    expect(only(check(cfg).problems, 'cluster_manager.clusters[0].type')).toBe('cluster type "EDS" is not supported by mosn-ts yet; supported: SIMPLE, STRICT_DNS, ORIGINAL_DST');
    cfg.cluster_manager.clusters[0].type = 'CONSUL';
    expect(only(check(cfg).problems, 'cluster_manager.clusters[0].type')).toBe('unknown cluster type "CONSUL"; known: SIMPLE, STRICT_DNS, ORIGINAL_DST');
  });

  it('a route to a cluster that does not exist', () => {
    const cfg = base();
    cfg.servers[0].routers[0].virtual_hosts[0].routers[0].route.cluster_name = 'nowhere';
    expect(only(check(cfg).problems, 'servers[0].routers[0].virtual_hosts[0].routers[0].route.cluster_name')).toBe(
      'cluster "nowhere" is not defined in cluster_manager.clusters; defined: c',
    );
  });

  it('two listeners on one address', () => {
    const cfg = base();
    cfg.servers[0].listeners.push({ ...structuredClone(cfg.servers[0].listeners[0]), name: 'l2' });
    expect(only(check(cfg).problems, 'servers[0].listeners[1].address')).toBe(`duplicate listener address 127.0.0.1:2045: already used by ${LISTENER0}`);
  });

  it('an unknown key is a warning with its path, not an error', () => {
    const cfg = base();
    cfg.servers[0].listeners[0].colour = 'blue';
    const { config, problems } = check(cfg);
    expect(problems.errors).toEqual([]);
    expect(config).toBeDefined();
    expect(problems.warnings).toEqual([{ path: `${LISTENER0}.colour`, message: 'unknown key; ignored' }]);
  });

  it('keys match case-insensitively, as in Go', () => {
    const cfg = base();
    cfg.cluster_manager.clusters[0] = { Name: 'c', Type: 'SIMPLE', LB_Type: 'LB_RANDOM', Hosts: [{ Address: '127.0.0.1:8080' }] };
    const { problems } = check(cfg);
    expect(problems.errors).toEqual([]);
    expect(problems.warnings).toEqual([]);
  });

  it('a behaviour-changing feature is refused, a retired one is a warning', () => {
    const cfg = base();
    cfg.servers[0].listeners[0].stream_filters = [{ type: 'healthcheck', config: {} }, { type: 'proxywasm', config: { vm_config: {} } }];
    const { problems } = check(cfg);
    expect(only(problems, `${LISTENER0}.stream_filters[1].type`)).toBe(`stream filter "proxywasm" is not supported by mosn-ts; supported: ${defaultExtensions().streamFilters.names().join(', ')}`);
    expect(problems.warnings.map((w) => w.path)).toEqual([`${LISTENER0}.stream_filters[0].type`]);
  });

  it('a document that is not an object is refused at (root)', () => {
    expect(only(check(undefined).problems, '(root)')).toBe('expected an object, got nothing (an empty document?)');
    expect(only(check([1, 2]).problems, '(root)')).toBe('expected an object, got an array');
  });
});

describe('files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mosn-configs-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('a YAML config reads exactly as its JSON equivalent', () => {
    const yaml = `
servers:
  - default_log_path: stderr
    routers:
      - router_config_name: r
        virtual_hosts:
          - name: vh
            domains: ["*"]
            routers:
              - match: { prefix: / }
                route: { cluster_name: c }
    listeners:
      - name: l
        address: 127.0.0.1:2045
        bind_port: true
        filter_chains:
          - filters:
              - type: proxy
                config:
                  downstream_protocol: Http1
                  router_config_name: r
cluster_manager:
  clusters:
    - name: c
      type: SIMPLE
      lb_type: LB_RANDOM
      hosts:
        - address: 127.0.0.1:8080
`;
    const fromYaml = loadConfigFile(write('equivalent.yaml', yaml));
    const fromJson = loadConfigFile(write('equivalent.json', JSON.stringify(base())));
    expect(fromYaml).toEqual(fromJson);
    const a = check(fromYaml);
    const b = check(fromJson);
    expect(a.problems.errors).toEqual([]);
    expect(a.problems.warnings).toEqual(b.problems.warnings);
    expect(a.config?.listeners).toEqual(b.config?.listeners);
  });

  it('`mosn validate` prints each error with its path and exits 1', () => {
    const cfg = base();
    cfg.servers[0].listeners[0].filter_chains[0].filters[0].type = 'http_connection_manager';
    cfg.cluster_manager.clusters[0].lb_type = 'LB_FASTEST';
    const file = write('bad.json', JSON.stringify(cfg));
    const r = spawnSync(process.execPath, [CLI, 'validate', '-c', file], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain(`error: ${file}: ${FILTER0}.type: network filter "http_connection_manager"`);
    expect(r.stderr).toContain(`error: ${file}: cluster_manager.clusters[0].lb_type: unknown lb_type "LB_FASTEST"`);
    expect(r.stderr).toContain('2 error(s)');
    expect(r.stderr).not.toMatch(/^\s+at /m);

    const good = spawnSync(process.execPath, [CLI, 'validate', '-c', write('good.json', JSON.stringify(base()))], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(good.status, good.stderr).toBe(0);
  });

  it('`mosn start` with a bad config exits non-zero before it binds anything', async () => {
    const port = await freePort();
    const cfg = base();
    cfg.servers[0].listeners[0].address = `127.0.0.1:${port}`;
    cfg.servers[0].listeners[0].stream_filters = [{ type: 'proxywasm', config: { vm_config: {} } }];
    const file = write('bad-start.json', JSON.stringify(cfg));
    const child = spawn(process.execPath, [CLI, 'start', '-c', file], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // While it runs, and once after it exits, the port must refuse connections.
    let running = true;
    void exited.then(() => (running = false));
    const outcomes: string[] = [];
    do {
      outcomes.push(await tryConnect(port));
      await new Promise((r) => setTimeout(r, 10));
    } while (running);
    outcomes.push(await tryConnect(port));
    const code = await exited;
    expect(code, stderr).toBe(1);
    expect(stderr).toContain(`${LISTENER0}.stream_filters[0].type: stream filter "proxywasm" is not supported by mosn-ts; supported: ${defaultExtensions().streamFilters.names().join(', ')}`);
    expect(stderr).toContain('nothing was started');
    expect(new Set(outcomes)).toEqual(new Set(['ECONNREFUSED']));
  });
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  expect(await tryConnect(port)).toBe('ECONNREFUSED');
  return port;
}

/** 'connected', or the error code of the attempt. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}
