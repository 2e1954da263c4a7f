import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSection } from '../../config/testing.js';
import { jwtAuthnFilter } from './index.js';
import { testKey, type TestKey } from './testing.js';
import type { JwtAuthnConfig } from './types.js';

const read = (json: Record<string, unknown>) => readSection(json, 'f.config', (r) => jwtAuthnFilter.read(r) as JwtAuthnConfig | undefined);

let key: TestKey;
let jwks: string;
beforeAll(async () => {
  key = await testKey('k1');
  jwks = JSON.stringify({ keys: [key.jwk] });
});

describe('jwt_authn reader', () => {
  it("reads MOSN's example config (examples/codes/filter/jwtauthn, lowerCamelCase keys)", () => {
    const example = JSON.parse(readFileSync(new URL('../../../../../fixtures/mosn-configs/examples/codes/filter/jwtauthn/config.json', import.meta.url), 'utf8')) as {
      servers: Array<{ listeners: Array<{ stream_filters: Array<{ config: Record<string, unknown> }> }> }>;
    };
    const { result, errors, warnings } = read(example.servers[0]!.listeners[0]!.stream_filters[0]!.config);
    expect([errors, warnings]).toEqual([[], []]);
    const provider = result!.providers['origins-0']!;
    expect(provider.issuer).toBe('testing@secure.istio.io');
    expect(provider.jwks.kind === 'local' && provider.jwks.keys.map((k) => [k.kty, k.kid])).toEqual([['RSA', 'DHFbpoIUqrY8t2zpA2qXfCmr5VO5ZEr4RzHU_-envvQ']]);
    expect(result!.rules).toEqual([
      {
        match: { path: { kind: 'prefix', value: '/' }, caseSensitive: true, headers: [], queryParameters: [] },
        requires: { kind: 'any', requirements: [{ kind: 'provider', provider: 'origins-0' }, { kind: 'allow_missing' }] },
      },
    ]);
  });

  it('reads every supported key (snake_case)', () => {
    const { result, errors, warnings } = read({
      providers: {
        local: {
          issuer: 'https://issuer',
          audiences: ['api'],
          local_jwks: { inline_string: jwks },
          forward: true,
          from_headers: [{ name: 'X-Token', value_prefix: 'JWT ' }],
          from_params: ['jwt'],
          forward_payload_header: 'X-Jwt-Payload',
          pad_forward_payload_header: true,
          clock_skew_seconds: 5,
          jwt_cache_config: { jwt_cache_size: 10 },
        },
        remote: { remote_jwks: { http_uri: { uri: 'http://127.0.0.1:9/jwks', cluster: 'jwks', timeout: '2s' }, cache_duration: { seconds: 30 } } },
      },
      requirement_map: { both: { requires_all: { requirements: [{ provider_name: 'local' }, { provider_and_audiences: { provider_name: 'remote', audiences: ['x'] } }] } } },
      rules: [
        { match: { path: '/health' } },
        { match: { safe_regex: { regex: '/v[0-9]+/.*' }, headers: [{ name: 'x-env', exact_match: 'prod' }] }, requirement_name: 'both' },
        { match: { prefix: '/' }, requires: { requires_any: { requirements: [{ provider_name: 'remote' }, { allow_missing_or_failed: {} }] } } },
      ],
      bypass_cors_preflight: true,
      strip_failure_response: true,
    });
    expect([errors, warnings]).toEqual([[], []]);
    expect(result!.providers.local).toEqual({
      name: 'local',
      issuer: 'https://issuer',
      audiences: ['api'],
      jwks: { kind: 'local', keys: [key.jwk] },
      forward: true,
      fromHeaders: [{ name: 'x-token', valuePrefix: 'JWT ' }],
      fromParams: ['jwt'],
      forwardPayloadHeader: 'x-jwt-payload',
      padForwardPayloadHeader: true,
      clockSkewSeconds: 5,
      tokenCacheSize: 10,
    });
    expect(result!.providers.remote!.jwks).toEqual({ kind: 'remote', uri: 'http://127.0.0.1:9/jwks', timeoutMs: 2000, cacheDurationMs: 30_000 });
    expect(result!.rules.map((r) => r.requires)).toEqual([
      { kind: 'none' },
      { kind: 'all', requirements: [{ kind: 'provider', provider: 'local' }, { kind: 'provider', provider: 'remote', audiences: ['x'] }] },
      { kind: 'any', requirements: [{ kind: 'provider', provider: 'remote' }, { kind: 'allow_missing_or_failed' }] },
    ]);
    expect([result!.bypassCorsPreflight, result!.stripFailureResponse]).toEqual([true, true]);
  });

  it('reads local_jwks from a file (and an environment variable); a remote JWKS is kept 600 s by default', () => {
    const file = join(tmpdir(), `jwks-${process.pid}.json`);
    writeFileSync(file, jwks);
    process.env.MOSN_TEST_JWKS = jwks;
    const { result, errors } = read({
      providers: {
        f: { local_jwks: { filename: file } },
        e: { localJwks: { environmentVariable: 'MOSN_TEST_JWKS' } },
        b: { local_jwks: { inline_bytes: Buffer.from(jwks).toString('base64') } },
        r: { remote_jwks: { http_uri: { uri: 'https://jwks.example.com/keys', cluster: 'c', timeout: '1s' } } },
      },
    });
    expect(errors).toEqual([]);
    for (const name of ['f', 'e', 'b']) expect(result!.providers[name]!.jwks).toEqual({ kind: 'local', keys: [key.jwk] });
    expect(result!.providers.r!.jwks).toMatchObject({ cacheDurationMs: 600_000 });
  });

  it('refuses a rule that names an unknown provider, a bad JWKS, and a provider without keys, with their paths', () => {
    const { errors } = read({
      providers: {
        bad: { local_jwks: { inline_string: '{"keys": [' } },
        empty: { local_jwks: { inline_string: '{"keys": []}' } },
        odd: { local_jwks: { inline_string: '{"keys": [{"kty": "RSA", "n": "AQAB"}]}' } },
        none: { issuer: 'x' },
        file: { local_jwks: { filename: '/nonexistent/jwks.json' } },
      },
      rules: [{ match: { prefix: '/' }, requires: { provider_name: 'nobody' } }, { match: { prefix: '/' }, requires: { requires_any: { requirements: [{ provider_name: 'bad' }] } } }],
    });
    expect(errors).toEqual([
      expect.stringMatching(/^f\.config\.providers\.bad\.local_jwks\.inline_string: not a usable JWKS: not JSON: /),
      'f.config.providers.empty.local_jwks.inline_string: not a usable JWKS: no usable key (the "keys" array is empty)',
      expect.stringMatching(/^f\.config\.providers\.odd\.local_jwks\.inline_string: not a usable JWKS: no usable key \(keys\[0\]: a RSA key that does not load: /),
      'f.config.providers.none: expected "local_jwks" or "remote_jwks": where the keys that verify tokens come from',
      'f.config.providers.file.local_jwks.filename: cannot read /nonexistent/jwks.json: no such file',
      'f.config.rules[0].requires.provider_name: provider "nobody" is not in "providers" (configured: bad, empty, odd, none, file)',
      'f.config.rules[1].requires.requires_any.requirements: expected at least 2 requirements',
    ]);
  });

  it('refuses unknown keys (as MOSN\'s jsonpb), keys it cannot honour, two of a oneof, and a bad remote JWKS; warns of ignored ones', () => {
    const { errors, warnings } = read({
      providers: {
        p: {
          local_jwks: { inline_string: JSON.stringify({ keys: [key.jwk, { kty: 'foo' }] }) },
          from_cookies: ['session'],
          payload_in_metadata: 'jwt',
          jwks: {},
        },
        two: { local_jwks: { inline_string: jwks }, remote_jwks: { http_uri: { uri: 'http://x/' } } },
        r: { remote_jwks: { http_uri: { uri: 'ftp://x/keys' }, cache_duration: '0s', async_fetch: { fast_listener: true } } },
      },
      rules: [{ match: { prefix: '/', grpc: {} }, requires: { provider_name: 'p', allow_missing: {} } }, { match: { regex: '/x' } }, { match: { connect_matcher: {} } }],
      filter_state_rules: { name: 'x' },
    });
    expect(errors).toEqual([
      'f.config.providers.p.from_cookies: is not supported by mosn-ts yet (nor acted on by MOSN); refused, since ignoring it would change which requests pass or what the upstream is sent',
      'f.config.providers.p.jwks: unknown key',
      'f.config.providers.two: only one of local_jwks, remote_jwks may be set; found local_jwks and remote_jwks',
      'f.config.providers.r.remote_jwks.http_uri.uri: expected an http:// or https:// URL, got "ftp://x/keys"',
      'f.config.providers.r.remote_jwks.http_uri.cluster: is required: expected a string',
      'f.config.providers.r.remote_jwks.http_uri.timeout: is required: expected a duration such as "5s"',
      'f.config.providers.r.remote_jwks.cache_duration: expected at least 1 ms, got 0 ms',
      'f.config.rules[0].match.grpc: is not supported by mosn-ts in a jwt_authn rule',
      'f.config.rules[0].requires: only one of provider_name, provider_and_audiences, requires_any, requires_all, allow_missing_or_failed, allow_missing may be set; found provider_name and allow_missing',
      'f.config.rules[1].match: expected one of prefix, path, safe_regex, path_separated_prefix',
      'f.config.rules[1].match.regex: unknown key',
      'f.config.rules[2].match.connect_matcher: is not supported by mosn-ts in a jwt_authn rule',
      'f.config.filter_state_rules: is not supported by mosn-ts (it keeps no filter state)',
    ]);
    expect(warnings).toEqual([
      'f.config.providers.p.local_jwks.inline_string: keys[1]: "kty" "foo" is not RSA, EC, OKP or oct; this key is left out',
      'f.config.providers.p.payload_in_metadata: mosn-ts keeps no dynamic metadata (no filter would read it); ignored',
      'f.config.providers.r.remote_jwks.async_fetch: not supported by mosn-ts: the JWKS is fetched when a request first needs it, without retries; ignored',
    ]);
  });
});
