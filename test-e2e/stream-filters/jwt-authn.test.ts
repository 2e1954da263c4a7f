import { execFile } from 'node:child_process';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, closedPort, get, httpBackend, spawnMosn } from '../helpers.js';

// jwt_authn end to end: curl and node:http → mosn (its own process) → a node:http backend that echoes what it
// was sent. Keys are made here with node:crypto and tokens signed with them; one provider's JWKS is served by a
// node:http server on 127.0.0.1 that starts down and comes up during the test.

const run = promisify(execFile);

interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly jwk: Record<string, unknown>;
}

function rsaKey(kid: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256' } };
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** A compact RS256 JWT of `claims`, signed with `key`. */
function jwt(key: SigningKey, claims: Record<string, unknown>): string {
  const input = `${b64({ alg: 'RS256', typ: 'JWT', kid: key.kid })}.${b64(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`;
}

const now = () => Math.floor(Date.now() / 1000);

let issuerKey: SigningKey;
let otherKey: SigningKey;
let remoteKey: SigningKey;
let backend: Awaited<ReturnType<typeof httpBackend>>;
let mosn: Awaited<ReturnType<typeof spawnMosn>>;
let port: number;
let adminPort: number;
let jwksPort: number;
let jwksRequests = 0;
let backendRequests = 0;
let jwksServer: http.Server | undefined;

/** What the backend was sent for one request, as it echoes it. */
interface Echo {
  url: string;
  headers: Record<string, string>;
}

function config(): unknown {
  const local = JSON.stringify({ keys: [issuerKey.jwk] });
  return {
    servers: [
      {
        default_log_path: 'stderr',
        default_log_level: 'INFO',
        routers: [{ router_config_name: 'r', virtual_hosts: [{ name: 'vh', domains: ['*'], routers: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }] }] }],
        listeners: [
          {
            name: 'l',
            address: '127.0.0.1:0',
            bind_port: true,
            filter_chains: [{ filters: [{ type: 'proxy', config: { downstream_protocol: 'Http1', router_config_name: 'r' } }] }],
            stream_filters: [
              {
                type: 'jwt_authn',
                config: {
                  providers: {
                    issuer: { issuer: 'https://issuer.test', audiences: ['api'], local_jwks: { inline_string: local }, forward_payload_header: 'x-jwt-payload' },
                    forwarding: { issuer: 'https://issuer.test', local_jwks: { inline_string: local }, forward: true },
                    custom: {
                      issuer: 'https://issuer.test',
                      local_jwks: { inline_string: local },
                      from_headers: [{ name: 'x-api-token', value_prefix: 'Token ' }],
                      from_params: ['jwt'],
                    },
                    remote: {
                      issuer: 'https://remote.test',
                      remote_jwks: { http_uri: { uri: `http://127.0.0.1:${jwksPort}/jwks`, cluster: 'jwks', timeout: '2s' }, cache_duration: '300s' },
                    },
                  },
                  rules: [
                    { match: { prefix: '/public' } },
                    { match: { prefix: '/forward' }, requires: { provider_name: 'forwarding' } },
                    { match: { prefix: '/custom' }, requires: { provider_name: 'custom' } },
                    { match: { prefix: '/remote' }, requires: { provider_name: 'remote' } },
                    { match: { prefix: '/' }, requires: { provider_name: 'issuer' } },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
    cluster_manager: { clusters: [{ name: 'c', type: 'SIMPLE', lb_type: 'LB_ROUNDROBIN', hosts: [{ address: backend.address }] }] },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
  };
}

/** The port of `address` (`127.0.0.1:1234`). */
const portOf = (address: string) => Number(address.slice(address.lastIndexOf(':') + 1));

/** mosn on `cfg` as its own process: the ports of its listeners and admin API. */
async function startMosnProcess(cfg: unknown, name: string) {
  const file = join(tmpdir(), `mosn-jwt-${name}-${process.pid}.json`);
  writeFileSync(file, JSON.stringify(cfg));
  const m = await spawnMosn(['start', '-c', file]);
  const started = JSON.parse(m.output().split('\n').find((l) => l.includes('mosn started'))!) as { listeners: string[] };
  const admin = m.output().split('\n').find((l) => l.includes('admin API listening'));
  return {
    m,
    listeners: Object.fromEntries(started.listeners.map((e) => [e.slice(0, e.indexOf('@')), portOf(e)])),
    admin: admin === undefined ? 0 : portOf((JSON.parse(admin) as { address: string }).address),
  };
}

beforeAll(async () => {
  issuerKey = rsaKey('issuer-1');
  otherKey = rsaKey('issuer-1');
  remoteKey = rsaKey('remote-1');
  backend = await httpBackend((req, res) => {
    backendRequests++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ url: req.url, headers: req.headers }));
  });
  // the JWKS server is down until the remote test starts it on this port
  jwksPort = await closedPort();
  const started = await startMosnProcess(config(), 'main');
  mosn = started.m;
  port = started.listeners.l!;
  adminPort = started.admin;
}, 30_000);

afterAll(async () => {
  mosn?.child.kill('SIGKILL');
  jwksServer?.closeAllConnections();
  jwksServer?.close();
  await backend?.close();
});

/** A request with curl: status, headers (lowercase names) and body. */
async function curl(path: string, headers: Record<string, string> = {}) {
  const args = ['-sS', '-i', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), `http://127.0.0.1:${port}${path}`];
  const { stdout } = await run('curl', args);
  const [head, ...rest] = stdout.split('\r\n\r\n');
  const [statusLine, ...lines] = head!.split('\r\n');
  const out: Record<string, string> = {};
  for (const l of lines) out[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
  return { status: Number(statusLine!.split(' ')[1]), headers: out, body: rest.join('\r\n\r\n') };
}

const good = () => jwt(issuerKey, { iss: 'https://issuer.test', aud: 'api', sub: 'alice', exp: now() + 600 });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function stats(): Promise<Record<string, number>> {
  const r = await fetch(`http://127.0.0.1:${adminPort}/api/v1/stats`);
  return (await r.json()) as Record<string, number>;
}

describe('jwt_authn, mosn as its own process', () => {
  it('accepts a valid token: the backend gets the payload header and, as forward is false, no Authorization (curl)', async () => {
    const token = good();
    const r = await curl('/api/items?page=1', bearer(token));
    expect(r.status).toBe(200);
    const echo = JSON.parse(r.body) as Echo;
    expect(echo.url).toBe('/api/items?page=1');
    expect(echo.headers.authorization).toBeUndefined();
    expect(echo.headers['x-jwt-payload']).toBe(token.split('.')[1]);
    expect(JSON.parse(Buffer.from(echo.headers['x-jwt-payload']!, 'base64url').toString())).toMatchObject({ sub: 'alice' });
  });

  it('keeps the token when the provider forwards it (node:http)', async () => {
    const token = good();
    const r = await get(port, '/forward', { headers: bearer(token) });
    expect(r.status).toBe(200);
    expect((JSON.parse(r.body) as Echo).headers.authorization).toBe(`Bearer ${token}`);
  });

  it('refuses expired, wrongly signed, wrong-issuer, wrong-audience and missing tokens with 401, the reason and a challenge; none reaches the backend', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [bearer(jwt(issuerKey, { iss: 'https://issuer.test', aud: 'api', exp: now() - 3600 })), 'Jwt is expired'],
      [bearer(jwt(otherKey, { iss: 'https://issuer.test', aud: 'api' })), 'Jwt verification fails'],
      [bearer(jwt(issuerKey, { iss: 'https://mallory.test', aud: 'api' })), 'Jwt issuer is not configured'],
      [bearer(jwt(issuerKey, { iss: 'https://issuer.test', aud: 'billing' })), 'Audiences in Jwt are not allowed'],
      [bearer('not.a.token'), 'Jwt header is an invalid Base64url encoded JSON object'],
    ];
    const before = backendRequests;
    for (const [headers, reason] of cases) {
      const r = await curl('/api/items?page=1', headers);
      expect([r.status, r.body]).toEqual([401, `${reason}\n`]);
      expect(r.headers['www-authenticate']).toBe(`Bearer realm="http://127.0.0.1:${port}/api/items", error="invalid_token"`);
    }
    const missing = await get(port, '/api/items');
    expect([missing.status, missing.body, missing.headers['www-authenticate']]).toEqual([401, 'Jwt is missing\n', `Bearer realm="http://127.0.0.1:${port}/api/items"`]);
    expect(backendRequests).toBe(before);
  });

  it('reads a token from a custom header with its prefix, and from a query parameter', async () => {
    const token = good();
    expect((await curl('/custom', { 'x-api-token': `Token ${token}` })).status).toBe(200);
    expect((await get(port, `/custom/x?jwt=${token}`)).status).toBe(200);
    // not where this provider looks
    expect((await curl('/custom', { 'x-api-token': token })).body).toBe('Jwt is missing\n');
    expect((await curl('/custom', bearer(token))).status).toBe(401);
  });

  it('lets a path whose rule requires nothing through without a token, and ignores a bad one there', async () => {
    expect((await get(port, '/public/page')).status).toBe(200);
    expect((await curl('/public/page', bearer('garbage'))).status).toBe(200);
  });

  it('remote JWKS: its server down answers 401 (counted and logged); once up, the keys are fetched once and cached', async () => {
    const token = jwt(remoteKey, { iss: 'https://remote.test', exp: now() + 600 });
    const down = await curl('/remote', bearer(token));
    expect([down.status, down.body]).toEqual([401, 'Jwks remote fetch is failed\n']);
    expect((await stats())['listener.l.jwt_authn.jwks_fetch_failed']).toBe(1);
    expect(mosn.output()).toContain('jwt_authn: fetching a remote JWKS failed');

    jwksServer = http.createServer((_req, res) => {
      jwksRequests++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [remoteKey.jwk] }));
    });
    await new Promise<void>((r) => jwksServer!.listen(jwksPort, '127.0.0.1', r));
    const statuses = await Promise.all(Array.from({ length: 10 }, () => get(port, '/remote', { headers: bearer(token) }).then((r) => r.status)));
    expect(statuses).toEqual(Array(10).fill(200));
    expect((await curl('/remote', bearer(token))).status).toBe(200);
    expect(jwksRequests).toBe(1);
    // a token of another key is still refused with the fetched keys
    expect((await curl('/remote', bearer(jwt(otherKey, { iss: 'https://remote.test' })))).body).toBe('Jwks doesn\'t have key to match kid or alg from Jwt\n');
    const s = await stats();
    expect([s['listener.l.jwt_authn.jwks_fetch_success'], s['listener.l.jwt_authn.jwks_fetch_failed']]).toEqual([1, 1]);
  });
});

describe("MOSN's example (examples/codes/filter/jwtauthn), run as MOSN's README does it", () => {
  // The example's token, from its README (RS256, issuer testing@secure.istio.io, expires in 2118).
  const TOKEN =
    'eyJhbGciOiJSUzI1NiIsImtpZCI6IkRIRmJwb0lVcXJZOHQyenBBMnFYZkNtcjVWTzVaRXI0UnpIVV8tZW52dlEiLCJ0eXAiOiJKV1QifQ.eyJleHAiOjQ2ODU5ODk3MDAsImZvbyI6ImJhciIsImlhdCI6MTUzMjM4OTcwMCwiaXNzIjoidGVzdGluZ0BzZWN1cmUuaXN0aW8uaW8iLCJzdWIiOiJ0ZXN0aW5nQHNlY3VyZS5pc3Rpby5pbyJ9.CfNnxWP2tcnR9q0vxyxweaF3ovQYHYZl82hAUsn21bwQd9zP7c-LS9qd_vpdLG4Tn1A15NxfCjp5f7QNBUo-KC9PJqYpgGbaXhaGx7bEdFWjcwv3nZzvc7M__ZpaCERdwU7igUmJqYGBYQ51vr2njU9ZimyKkfDe3axcyiBZde7G6dabliUosJvvKOPcKIWPccCgefSj_GNfwIip3-SsFdlR7BtbVUcqR-yv-XOxJ3Uc1MI0tz3uMiiZcyPV7sNCU4KRnemRIMHVOfuvHsU60_GhGbiSFzgPTAa9WTltbnarTbxudb_YEOx12JiwYToeX0DCPb43W1tzIBxgm8NxUg';

  it('answers as the README says: an invalid token 401, no token 200, the valid token 200', async () => {
    // the example's own file, with its fixed ports (2046, 8080, 34902) moved to free ones; its server.go (which
    // writes the request's headers back) is a node:http server here
    const example = JSON.parse(readFileSync(join(REPO_ROOT, 'fixtures/mosn-configs/examples/codes/filter/jwtauthn/config.json'), 'utf8'));
    const upstream = await httpBackend((req, res) => res.end(Object.entries(req.headers).map(([k, v]) => `${k}: ${String(v)}`).join('\r\n')));
    try {
      example.servers[0].listeners[0].address = '127.0.0.1:0';
      example.cluster_manager.clusters[0].hosts[0].address = upstream.address;
      example.admin.address.socket_address = { address: '127.0.0.1', port_value: 0 };
      const started = await startMosnProcess(example, 'example');
      try {
        const p = started.listeners.serverListener!;
        const status = async (headers: string[]) => (await run('curl', ['-s', '-o', '/dev/null', ...headers, '-w', '%{http_code}', `http://127.0.0.1:${p}`])).stdout;
        expect(await status(['-H', 'Authorization: Bearer token'])).toBe('401');
        expect(await status([])).toBe('200');
        expect(await status(['-H', `Authorization: Bearer ${TOKEN}`])).toBe('200');
      } finally {
        started.m.child.kill('SIGKILL');
      }
    } finally {
      await upstream.close();
    }
  });
});
