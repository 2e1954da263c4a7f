import { SimpleHeaderMap } from '@mosn/proxy';
import { beforeAll, describe, expect, it } from 'vitest';
import { ProviderSet } from './providers.js';
import { testKey, testProvider, testToken, type TestKey } from './testing.js';
import type { JwtProviderConfig, JwtRequirement } from './types.js';
import { compileRequirement } from './verifier.js';

// The verifier tree against real tokens: keys made here with jose, tokens signed with them, checked as a request's.

const NOW_MS = Date.UTC(2030, 0, 1);
const NOW = NOW_MS / 1000;
const NO_EVENTS = { fetched: () => {}, failed: () => {} };

let alice: TestKey;
let bob: TestKey;
let stranger: TestKey;
let secret: TestKey;

beforeAll(async () => {
  [alice, bob, stranger, secret] = await Promise.all([testKey('alice-1'), testKey('bob-1', 'ES256'), testKey('alice-1'), testKey('s-1', 'HS256')]);
});

function providers(configs: JwtProviderConfig[]): ProviderSet {
  return new ProviderSet(Object.fromEntries(configs.map((c) => [c.name, c])), NO_EVENTS);
}

/** Check a request with `headers` (and `query`) against `requirement`; its status and its headers afterwards. */
async function check(requirement: JwtRequirement, set: ProviderSet, headers: Array<[string, string]>, query = '', nowMs = NOW_MS) {
  const map = new SimpleHeaderMap(headers);
  const status = await compileRequirement(requirement, set).verify({ headers: map, query, nowMs });
  const after: Record<string, string> = {};
  map.forEach((v, k) => (after[k] = v));
  return { status, headers: after };
}

const bearer = (token: string): [string, string] => ['authorization', `Bearer ${token}`];
const A: JwtRequirement = { kind: 'provider', provider: 'a' };

describe('one provider', () => {
  it('accepts a good token and removes it (forward false), or keeps it (forward true); the payload goes in forward_payload_header', async () => {
    const token = await testToken(alice, { iss: 'https://alice', sub: 'u1', exp: NOW + 3600 });
    const payload = token.split('.')[1]!;
    const set = providers([testProvider('a', [alice.jwk], { issuer: 'https://alice', forwardPayloadHeader: 'x-jwt-payload' })]);
    // a client's own x-jwt-payload never reaches the upstream
    expect(await check(A, set, [bearer(token), ['x-jwt-payload', 'forged']])).toEqual({ status: 'ok', headers: { 'x-jwt-payload': payload } });
    const forwarding = providers([testProvider('a', [alice.jwk], { forward: true, forwardPayloadHeader: 'x-jwt-payload', padForwardPayloadHeader: true })]);
    const padded = payload + '='.repeat((4 - (payload.length % 4)) % 4);
    expect(await check(A, forwarding, [bearer(token)])).toEqual({ status: 'ok', headers: { authorization: `Bearer ${token}`, 'x-jwt-payload': padded } });
  });

  it('refuses a missing, malformed, unsigned, expired, not yet valid, wrongly signed or unknown-key token', async () => {
    const set = providers([testProvider('a', [alice.jwk])]);
    const status = async (headers: Array<[string, string]>) => (await check(A, set, headers)).status;
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.`;
    expect(await status([])).toBe('missing');
    expect(await status([['authorization', 'Basic dXNlcjpwdw==']])).toBe('missing');
    expect(await status([bearer('not-a-jwt')])).toBe('bad_format');
    expect(await status([bearer('e30.e30.e30.e30')])).toBe('bad_format');
    expect(await status([bearer('e30.e30')])).toBe('bad_format');
    expect(await status([bearer('bm90IGpzb24.e30.sig')])).toBe('bad_header');
    expect(await status([bearer(none)])).toBe('unsupported_alg');
    expect(await status([bearer(await testToken(alice, { exp: NOW - 61 }))])).toBe('expired');
    expect(await status([bearer(await testToken(alice, { nbf: NOW + 61 }))])).toBe('not_yet_valid');
    expect(await status([bearer(await testToken(alice, { exp: 'soon' as unknown as number }))])).toBe('bad_payload');
    // same kid, another key: the signature does not verify
    expect(await status([bearer(await testToken(stranger, {}))])).toBe('verification_failed');
    expect(await status([bearer(await testToken(bob, {}))])).toBe('kid_alg_mismatch');
  });

  it('allows 60 s of clock skew by default, and clock_skew_seconds when set', async () => {
    const token = await testToken(alice, { exp: NOW - 30 });
    expect((await check(A, providers([testProvider('a', [alice.jwk])]), [bearer(token)])).status).toBe('ok');
    expect((await check(A, providers([testProvider('a', [alice.jwk], { clockSkewSeconds: 10 })]), [bearer(token)])).status).toBe('expired');
  });

  it('checks the issuer and the audiences (any one of them; scheme and trailing slash do not count)', async () => {
    const set = providers([testProvider('a', [alice.jwk], { issuer: 'https://alice', audiences: ['https://api.example.com/', 'other'] })]);
    const status = async (claims: Record<string, unknown>) => (await check(A, set, [bearer(await testToken(alice, claims))])).status;
    expect(await status({ iss: 'https://alice', aud: 'api.example.com' })).toBe('ok');
    expect(await status({ iss: 'https://alice', aud: ['x', 'http://api.example.com'] })).toBe('ok');
    expect(await status({ iss: 'https://alice', aud: 'elsewhere' })).toBe('audience_not_allowed');
    expect(await status({ iss: 'https://alice' })).toBe('audience_not_allowed');
    expect(await status({ iss: 'https://mallory', aud: 'other' })).toBe('unknown_issuer');
    expect(await status({ aud: 'other' })).toBe('unknown_issuer');
    // provider_and_audiences replaces the provider's audiences
    const token = await testToken(alice, { iss: 'https://alice', aud: 'elsewhere' });
    expect((await check({ kind: 'provider', provider: 'a', audiences: ['elsewhere'] }, set, [bearer(token)])).status).toBe('ok');
  });

  it('reads from_headers (with value_prefix) and from_params instead of the default locations', async () => {
    const token = await testToken(alice, {});
    const set = providers([testProvider('a', [alice.jwk], { fromHeaders: [{ name: 'x-token', valuePrefix: 'JWT ' }], fromParams: ['jwt'] })]);
    expect(await check(A, set, [['x-token', `JWT ${token}`]])).toEqual({ status: 'ok', headers: {} });
    // the prefix may come anywhere; the token is the run of base64url characters and dots after it
    expect((await check(A, set, [['x-token', `scheme=JWT "${token}"; more`]])).status).toBe('ok');
    expect((await check(A, set, [['x-token', token]])).status).toBe('missing');
    expect((await check(A, set, [bearer(token)])).status).toBe('missing');
    expect((await check(A, set, [], `a=1&jwt=${token}`)).status).toBe('ok');
    // the default query parameter, with the default locations
    expect((await check(A, providers([testProvider('a', [alice.jwk])]), [], `access_token=${token}`)).status).toBe('ok');
  });

  it('needs every token of a request to be good: a good and a bad one is refused', async () => {
    const set = providers([testProvider('a', [alice.jwk], { fromHeaders: [{ name: 'x-a', valuePrefix: '' }, { name: 'x-b', valuePrefix: '' }] })]);
    const good = await testToken(alice, {});
    const bad = await testToken(stranger, {});
    expect((await check(A, set, [['x-a', good], ['x-b', good]])).status).toBe('ok');
    expect((await check(A, set, [['x-a', good], ['x-b', bad]])).status).toBe('verification_failed');
    expect((await check(A, set, [['x-a', bad], ['x-b', good]])).status).toBe('verification_failed');
  });

  it('keeps a verified token (its signature is not checked again) but checks its time, issuer and audience on every request', async () => {
    const set = providers([testProvider('a', [alice.jwk], { issuer: 'alice', audiences: ['api'], fromHeaders: [{ name: 'x-a', valuePrefix: '' }] })]);
    const cache = set.byName('a')!.tokens;
    const token = await testToken(alice, { iss: 'alice', aud: 'api', exp: NOW + 10 });
    expect((await check(A, set, [['x-a', token]])).status).toBe('ok');
    expect(cache.size).toBe(1);
    expect(await check(A, set, [['x-a', token]])).toEqual({ status: 'ok', headers: {} });
    expect((await check(A, set, [['x-a', token]], '', NOW_MS + 71_000)).status).toBe('expired');
    expect((await check({ kind: 'provider', provider: 'a', audiences: ['billing'] }, set, [['x-a', token]])).status).toBe('audience_not_allowed');
    expect(cache.size).toBe(1);
    // a bad token is never kept
    expect((await check(A, set, [['x-a', await testToken(stranger, { iss: 'alice', aud: 'api' })]])).status).toBe('verification_failed');
    expect(cache.size).toBe(1);
  });

  it('verifies HS256 with an oct key, and ES256 with an EC key', async () => {
    const set = providers([testProvider('a', [secret.jwk, bob.jwk])]);
    expect((await check(A, set, [bearer(await testToken(secret, {}))])).status).toBe('ok');
    expect((await check(A, set, [bearer(await testToken(bob, {}))])).status).toBe('ok');
  });
});

describe('requirements', () => {
  const aliceAndBob = () =>
    providers([
      testProvider('a', [alice.jwk], { issuer: 'alice', fromHeaders: [{ name: 'x-alice', valuePrefix: '' }] }),
      testProvider('b', [bob.jwk], { issuer: 'bob', fromHeaders: [{ name: 'x-bob', valuePrefix: '' }] }),
    ]);

  it('requires_any passes with one good provider; requires_all needs both', async () => {
    const set = aliceAndBob();
    const a = await testToken(alice, { iss: 'alice' });
    const b = await testToken(bob, { iss: 'bob' });
    const any: JwtRequirement = { kind: 'any', requirements: [A, { kind: 'provider', provider: 'b' }] };
    const all: JwtRequirement = { kind: 'all', requirements: [A, { kind: 'provider', provider: 'b' }] };
    expect((await check(any, set, [['x-bob', b]])).status).toBe('ok');
    expect((await check(any, set, [])).status).toBe('missing');
    expect((await check(all, set, [['x-bob', b]])).status).toBe('missing');
    expect((await check(all, set, [['x-alice', a], ['x-bob', b]])).status).toBe('ok');
    expect((await check(all, set, [['x-alice', b], ['x-bob', b]])).status).toBe('unknown_issuer');
  });

  it('allow_missing beside a provider: no token passes, a bad token does not', async () => {
    const set = aliceAndBob();
    const r: JwtRequirement = { kind: 'any', requirements: [A, { kind: 'allow_missing' }] };
    expect((await check(r, set, [])).status).toBe('ok');
    expect((await check(r, set, [['x-alice', await testToken(alice, { iss: 'alice' })]])).status).toBe('ok');
    expect((await check(r, set, [['x-alice', await testToken(alice, { iss: 'alice', exp: NOW - 3600 })]])).status).toBe('expired');
    // bob's location is not read: only the providers named beside allow_missing are
    expect((await check(r, set, [['x-bob', 'garbage']])).status).toBe('ok');
  });

  it('allow_missing_or_failed passes anything, and still forwards what verified; alone, allow_missing reads nothing', async () => {
    const set = aliceAndBob();
    const r: JwtRequirement = { kind: 'any', requirements: [A, { kind: 'allow_missing_or_failed' }, { kind: 'allow_missing' }] };
    expect((await check(r, set, [['x-alice', 'garbage']])).status).toBe('ok');
    const alone = compileRequirement({ kind: 'allow_missing' }, set);
    expect(alone.allowsAll).toBe(true);
    expect(compileRequirement({ kind: 'none' }, set).allowsAll).toBe(true);
    expect(compileRequirement(r, set).allowsAll).toBe(false);
  });
});
