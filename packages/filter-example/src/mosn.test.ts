import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mosn, defaultExtensions, silentLogger } from 'mosn';
import { filter } from './index.js';

// The filter inside a real mosn (in this process): node:http client → mosn → node:http backend. mosn loads the
// package by name from a config (test-e2e/stream-filters/filter-package.test.ts does that); here the test registers
// the export itself, as a test of your own package can.

let backend: http.Server;
let seen: string[] = [];
let mosn: Mosn;
let port: number;

/** GET `path` on mosn: status, body and the response header the filter sets. */
function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; checked: string | undefined }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body, checked: res.headers['x-tenant-checked'] as string | undefined }));
      })
      .on('error', reject);
  });
}

beforeAll(async () => {
  backend = http.createServer((req, res) => {
    seen.push(req.url!);
    res.end(`hello ${req.url}`);
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const upstream = `127.0.0.1:${(backend.address() as AddressInfo).port}`;
  const extensions = defaultExtensions();
  extensions.streamFilters.register(filter.name, filter);
  const config = {
    servers: [
      {
        default_log_path: 'stderr',
        default_log_level: 'ERROR',
        routers: [
          {
            router_config_name: 'r',
            virtual_hosts: [
              {
                name: 'vh',
                domains: ['*'],
                routers: [
                  // this route turns the filter off: a route's config replaces the listener's
                  { match: { prefix: '/public' }, route: { cluster_name: 'app' }, per_filter_config: { require_header: { disabled: true } } },
                  { match: { prefix: '/' }, route: { cluster_name: 'app' } },
                ],
              },
            ],
          },
        ],
        listeners: [
          {
            name: 'ingress',
            address: '127.0.0.1:0',
            bind_port: true,
            filter_chains: [{ filters: [{ type: 'proxy', config: { downstream_protocol: 'Http1', router_config_name: 'r' } }] }],
            stream_filters: [{ type: 'require_header', config: { header: 'x-tenant', values: ['acme'], response_header: 'x-tenant-checked' } }],
          },
        ],
      },
    ],
    cluster_manager: { clusters: [{ name: 'app', type: 'SIMPLE', lb_type: 'LB_ROUNDROBIN', hosts: [{ address: upstream }] }] },
  };
  mosn = new Mosn({ config, logger: silentLogger, extensions });
  await mosn.start();
  const address = mosn.listenerAddress('ingress');
  if (!('port' in address)) throw new Error('a TCP listener was expected');
  port = address.port;
});

afterAll(async () => {
  await mosn?.stop(0);
  backend?.closeAllConnections();
  backend?.close();
});

describe('require_header in mosn', () => {
  it('answers 403 to a request without the header or with another value; the backend never sees it', async () => {
    seen = [];
    expect(await get('/orders')).toMatchObject({ status: 403, body: 'header x-tenant is required\n' });
    expect(await get('/orders', { 'x-tenant': 'initech' })).toMatchObject({ status: 403, body: 'header x-tenant: value not allowed\n' });
    expect(seen).toEqual([]);
  });

  it('lets a listed value through and puts it on the response', async () => {
    expect(await get('/orders', { 'X-Tenant': 'acme' })).toEqual({ status: 200, body: 'hello /orders', checked: 'acme' });
  });

  it("a route's per_filter_config turns it off for that route", async () => {
    expect(await get('/public/logo.png')).toEqual({ status: 200, body: 'hello /public/logo.png', checked: undefined });
  });
});
