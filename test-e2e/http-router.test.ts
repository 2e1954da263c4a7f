import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import { defaultExtensions, readConfig, type Mosn } from 'mosn';
import { cleanupAfterEach, closedPort, cluster, get, httpBackend, httpProxyConfig, port, startMosn, startMosnWithCleanup } from './helpers.js';

const cleanups = cleanupAfterEach();

const mosnWith = (config: unknown) => startMosnWithCleanup(config, cleanups);

/** A backend answering with what it received: url, headers and body as JSON. */
async function mirror(handler?: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => boolean) {
  let n = 0;
  const b = await httpBackend((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (handler?.(req, res, n++)) return;
      res.setHeader('content-type', 'application/json');
      res.setHeader('x-from-backend', 'yes');
      res.end(JSON.stringify({ url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }));
    });
  });
  cleanups.push(b.close);
  return { ...b, count: () => n };
}

describe('HTTP router actions', () => {
  it('redirect: 301 by default with path_redirect (query kept); code, host and scheme when set', async () => {
    const { p } = await mosnWith(
      httpProxyConfig({
        routes: [
          { match: { prefix: '/old' }, redirect: { path_redirect: '/new' } },
          { match: { prefix: '/away' }, redirect: { response_code: 307, host_redirect: 'other.test:80', scheme_redirect: 'HTTPS' } },
        ],
      }),
    );
    const r1 = await get(p, '/old/x?a=1', { headers: { host: 'site.test:8080' } });
    expect(r1.status).toBe(301);
    expect(r1.headers.location).toBe('http://site.test:8080/new?a=1');
    const r2 = await get(p, '/away/y', { headers: { host: 'site.test' } });
    expect(r2.status).toBe(307);
    expect(r2.headers.location).toBe('https://other.test/away/y');
  });

  it('prefix_rewrite and regex_rewrite keep the original path in x-mosn-original-path; host_rewrite / auto_host_rewrite set Host', async () => {
    const b = await mirror();
    const { p } = await mosnWith(
      httpProxyConfig({
        routes: [
          { match: { prefix: '/api/' }, route: { cluster_name: 'c', prefix_rewrite: '/v2/', host_rewrite: 'api.internal' } },
          { match: { prefix: '/re/' }, route: { cluster_name: 'c', regex_rewrite: { pattern: { regex: '^/re/(\\w+)/(\\w+)' }, substitution: '/$2/${1}' }, auto_host_rewrite: true } },
        ],
        clusters: [cluster('c', [b.address])],
      }),
    );
    const r1 = JSON.parse((await get(p, '/api/users?id=7', { headers: { host: 'front.test' } })).body);
    expect(r1.url).toBe('/v2/users?id=7');
    expect(r1.headers['x-mosn-original-path']).toBe('/api/users');
    expect(r1.headers.host).toBe('api.internal');
    const r2 = JSON.parse((await get(p, '/re/a/b/c', { headers: { host: 'front.test' } })).body);
    expect(r2.url).toBe('/b/a/c');
    expect(r2.headers['x-mosn-original-path']).toBe('/re/a/b/c');
    expect(r2.headers.host).toBe(b.address);
  });

  it('header changes at route, virtual host and router level, in MOSN order, with %variables% and append', async () => {
    const b = await mirror();
    const add = (key: string, value: string, append?: boolean) => ({ header: { key, value }, ...(append === undefined ? {} : { append }) });
    const config = httpProxyConfig({
      routes: [],
      clusters: [cluster('c', [b.address])],
    }) as { servers: Array<{ routers: Array<Record<string, unknown>> }> };
    const router = config.servers[0]!.routers[0]!;
    router.request_headers_to_add = [add('x-level', 'router', false)];
    router.response_headers_to_remove = ['x-from-backend'];
    router.virtual_hosts = [
      {
        name: 'vh',
        domains: ['*'],
        request_headers_to_add: [add('x-vh', 'vh'), add('x-tag', 'from-vh')],
        response_headers_to_add: [add('x-upstream', '%upstream_host%', false)],
        routers: [
          {
            match: { prefix: '/' },
            route: {
              cluster_name: 'c',
              request_headers_to_add: [add('x-level', 'route', false), add('x-tag', '%request_header_x-in%'), add('x-path', '%Http1_request_path%', false)],
              request_headers_to_remove: ['x-secret'],
              response_headers_to_add: [add('x-route', 'yes', false)],
            },
          },
        ],
      },
    ];
    const { p } = await mosnWith(config);
    const r = await get(p, '/h?q=1', { headers: { 'x-in': 'client', 'x-secret': 's', 'x-tag': 'orig' } });
    const seen = JSON.parse(r.body).headers;
    expect(seen['x-level']).toBe('router'); // the router level comes last and replaces
    expect(seen['x-tag']).toBe('orig,client,from-vh'); // append joins with a comma
    expect(seen['x-path']).toBe('/h');
    expect(seen['x-vh']).toBe('vh');
    expect(seen['x-secret']).toBeUndefined();
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(r.headers['x-route']).toBe('yes');
    expect(r.headers['x-upstream']).toBe(b.address);
    expect(r.headers['x-from-backend']).toBeUndefined();
  });

  it('X-Forwarded-For gets the downstream address appended', async () => {
    const b = await mirror();
    const { p } = await mosnWith(httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }], clusters: [cluster('c', [b.address])] }));
    const seen = JSON.parse((await get(p, '/', { headers: { 'x-forwarded-for': '10.0.0.1' } })).body).headers;
    expect(seen['x-forwarded-for']).toBe('10.0.0.1, 127.0.0.1');
  });

  it('retry_policy: a listed status is retried with the request body replayed intact', async () => {
    const b = await mirror((_req, res, n) => {
      if (n > 0) return false;
      res.statusCode = 503;
      res.end('busy');
      return true;
    });
    const { p } = await mosnWith(
      httpProxyConfig({
        routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c', retry_policy: { retry_on: true, num_retries: 2, status_codes: [503] } } }],
        clusters: [cluster('c', [b.address])],
      }),
    );
    const body = Buffer.alloc(100_000, 'q').toString();
    const r = await get(p, '/post', { method: 'POST', body, headers: { 'content-length': String(body.length) } });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).body).toBe(body);
    expect(b.count()).toBe(2);
  });

  it('retry_policy: an upstream reset before the response is retried; retry_on false is not; Envoy strings work', async () => {
    const failFirst = () =>
      mirror((req, _res, n) => {
        if (n > 0) return false;
        req.socket.destroy();
        return true;
      });
    const b1 = await failFirst();
    const b2 = await failFirst();
    const b3 = await mirror((_req, res, n) => {
      if (n > 0) return false;
      res.statusCode = 502;
      res.end('bad');
      return true;
    });
    const { p } = await mosnWith(
      httpProxyConfig({
        routes: [
          { match: { prefix: '/on' }, route: { cluster_name: 'c1', retry_policy: { retry_on: true, num_retries: 1 } } },
          { match: { prefix: '/off' }, route: { cluster_name: 'c2', retry_policy: { retry_on: false, num_retries: 3 } } },
          { match: { prefix: '/envoy' }, route: { cluster_name: 'c3', retry_policy: { retry_on: 'gateway-error,connect-failure' } } },
        ],
        clusters: [cluster('c1', [b1.address]), cluster('c2', [b2.address]), cluster('c3', [b3.address])],
      }),
    );
    expect((await get(p, '/on')).status).toBe(200);
    expect(b1.count()).toBe(2);
    expect((await get(p, '/off')).status).toBe(502);
    expect(b2.count()).toBe(1);
    expect((await get(p, '/envoy')).status).toBe(200);
    expect(b3.count()).toBe(2);
  });

  it('a per-try timeout (x-mosn-try-timeout) retries; x-mosn-global-timeout ends the request with 504', async () => {
    const stalled: http.ServerResponse[] = [];
    cleanups.push(() => stalled.forEach((r) => r.destroy()));
    const b = await mirror((req, res, n) => {
      if (n > 0 && req.url !== '/stall') return false;
      stalled.push(res);
      return true;
    });
    const { p } = await mosnWith(
      httpProxyConfig({
        routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c', retry_policy: { retry_on: true, num_retries: 1 } } }],
        clusters: [cluster('c', [b.address])],
      }),
    );
    expect((await get(p, '/first-stalls', { headers: { 'x-mosn-try-timeout': '200' } })).status).toBe(200);
    expect((await get(p, '/stall', { headers: { 'x-mosn-global-timeout': '200' } })).status).toBe(504);
  });

  it('connect failures go to another host', async () => {
    const b = await mirror();
    const dead = `127.0.0.1:${await closedPort()}`;
    const { p } = await mosnWith(
      httpProxyConfig({
        routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c', retry_policy: { retry_on: true, num_retries: 1 } } }],
        clusters: [cluster('c', [dead, b.address])],
      }),
    );
    for (let i = 0; i < 4; i++) expect((await get(p, `/${i}`)).status).toBe(200);
  });
});

describe('route match variables (MOSN VariableMatcher)', () => {
  /** One backend per cluster, answering with its own name. */
  async function named(name: string) {
    const b = await httpBackend((req, res) => {
      req.resume();
      req.on('end', () => res.end(name));
    });
    cleanups.push(b.close);
    return cluster(name, [b.address]);
  }

  it('routes on variables: and/or groups, regex, request_header_<name>, method, query; first match wins', async () => {
    const { p } = await mosnWith(
      httpProxyConfig({
        routes: [
          {
            match: {
              variables: [
                { name: 'x-mosn-method', value: 'POST' },
                { name: 'request_header_x-tenant', regex: '^gold-', model: 'OR' },
                { name: 'Http1_request_arg', regex: '(^|&)vip=1(&|$)' },
              ],
            },
            route: { cluster_name: 'gold' },
          },
          { match: { variables: [{ name: 'x-mosn-path', value: '/silver' }] }, route: { cluster_name: 'silver' } },
          { match: { prefix: '/' }, route: { cluster_name: 'other' } },
        ],
        clusters: [await named('gold'), await named('silver'), await named('other')],
      }),
    );
    const send = async (method: string, path: string, headers: Record<string, string> = {}) =>
      (await get(p, path, { method, headers: { ...headers, 'content-length': '0' } })).body;
    // (POST and tenant gold-*) or vip=1
    expect(await send('POST', '/x', { 'x-tenant': 'gold-7' })).toBe('gold');
    expect(await send('GET', '/x?a=b&vip=1')).toBe('gold');
    expect(await send('GET', '/x', { 'x-tenant': 'gold-7' })).toBe('other');
    expect(await send('POST', '/x', { 'x-tenant': 'silver-7' })).toBe('other');
    expect(await send('POST', '/x?vip=10')).toBe('other');
    // x-mosn-path has no query
    expect(await send('GET', '/silver?q=1')).toBe('silver');
    expect(await send('GET', '/silver/more')).toBe('other');
  });

  it('bad shapes are config errors with their JSON path; MOSN ignoring rules gives warnings', () => {
    const problems = (match: unknown) => {
      const cfg = httpProxyConfig({ routes: [{ match, route: { cluster_name: 'c' } }], clusters: [cluster('c', ['127.0.0.1:1'])] });
      return readConfig(cfg, defaultExtensions()).problems;
    };
    const at = 'servers[0].routers[0].virtual_hosts[0].routers[0].match';
    const errors = (match: unknown) => problems(match).errors.map((e) => `${e.path}: ${e.message}`);
    expect(errors({ variables: [{ name: 'x-mosn-method', value: 'GET' }] })).toEqual([]);
    expect(errors({ variables: 'x' })).toEqual([`${at}.variables: expected an array, got string "x"`]);
    expect(errors({ variables: [7] })).toEqual([`${at}.variables[0]: expected an object, got number 7`]);
    expect(errors({ variables: [{ value: 'GET' }] })).toEqual([`${at}.variables[0].name: is required: expected a string`]);
    expect(errors({ variables: [{ name: 'no_such_var', value: 'x' }] })[0]).toContain(`${at}.variables[0].name: unknown variable "no_such_var"; known: downstream_remote_address, `);
    expect(errors({ variables: [{ name: 'x-mosn-method' }] })).toEqual([
      `${at}.variables[0]: expected a non-empty "value" or "regex" (an entry with neither never matches in MOSN)`,
    ]);
    expect(errors({ variables: [{ name: 'x-mosn-method', value: 'GET', model: 'xor' }] })).toEqual([`${at}.variables[0].model: "xor" is not one of: and, or`]);
    expect(errors({ variables: [{ name: 'x-mosn-method', regex: '(' }] })[0]).toContain(`${at}.variables[0].regex: invalid regular expression`);
    const warnings = (match: unknown) => problems(match).warnings.map((w) => w.path);
    expect(warnings({ prefix: '/', variables: [{ name: 'x-mosn-method', value: 'GET' }] })).toEqual([`${at}.variables`]);
    expect(warnings({ headers: [{ name: 'a', value: 'b' }], variables: [{ name: 'x-mosn-method', value: 'GET' }] })).toEqual([`${at}.headers`]);
    expect(warnings({ variables: [{ name: 'x-mosn-method', value: 'GET', regex: 'P', extra: 1 }] })).toEqual([`${at}.variables[0].extra`, `${at}.variables[0].value`]);
  });
});

