import { createPublicKey, type JsonWebKey } from 'node:crypto';
import type { JWK } from 'jose';

/** A JWKS read: its usable keys (public members only) and why the others were left out; or why none is usable. */
export type ParsedJwks = { readonly keys: JWK[]; readonly skipped: string[]; readonly error?: undefined } | { readonly error: string };

/** Members of a public key (and of its metadata) that are kept; a private member (`d`, `p`, ...) is dropped. */
const PUBLIC_MEMBERS = ['kty', 'kid', 'alg', 'use', 'key_ops', 'crv', 'n', 'e', 'x', 'y'] as const;

/**
 * A JWKS document (`{"keys": [...]}`, RFC 7517) → its keys. RSA, EC and OKP keys must load as public keys
 * (node:crypto checks them now, so a bad key is found when the config is read, not on a request); `oct` keys
 * (HS256/384/512 secrets) need `k`. A key of another type or that does not load is left out, with the reason in
 * `skipped`; a document that is not JSON, has no `keys` array, or no usable key is an error.
 */
export function parseJwks(text: string): ParsedJwks {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { error: `not JSON: ${(e as Error).message}` };
  }
  if (doc === null || typeof doc !== 'object' || !Array.isArray((doc as { keys?: unknown }).keys)) {
    return { error: 'expected a JWKS: a JSON object with a "keys" array' };
  }
  const keys: JWK[] = [];
  const skipped: string[] = [];
  (doc as { keys: unknown[] }).keys.forEach((key, i) => {
    const problem = keyProblem(key);
    if (problem === undefined) keys.push(publicPart(key as JWK));
    else skipped.push(`keys[${i}]: ${problem}`);
  });
  if (keys.length === 0) return { error: `no usable key${skipped.length > 0 ? ` (${skipped.join('; ')})` : ' (the "keys" array is empty)'}` };
  return { keys, skipped };
}

function keyProblem(key: unknown): string | undefined {
  if (key === null || typeof key !== 'object' || Array.isArray(key)) return 'not an object';
  const jwk = key as JWK;
  if (jwk.kid !== undefined && typeof jwk.kid !== 'string') return '"kid" is not a string';
  if (jwk.alg !== undefined && typeof jwk.alg !== 'string') return '"alg" is not a string';
  switch (jwk.kty) {
    case 'RSA':
    case 'EC':
    case 'OKP':
      try {
        createPublicKey({ key: publicPart(jwk) as JsonWebKey, format: 'jwk' });
        return undefined;
      } catch (e) {
        return `a ${jwk.kty} key that does not load: ${(e as Error).message}`;
      }
    case 'oct':
      return typeof jwk.k === 'string' && jwk.k !== '' ? undefined : 'an "oct" key without "k"';
    default:
      return `"kty" ${JSON.stringify(jwk.kty)} is not RSA, EC, OKP or oct`;
  }
}

function publicPart(jwk: JWK): JWK {
  if (jwk.kty === 'oct') return { ...jwk };
  const out: Record<string, unknown> = {};
  for (const m of PUBLIC_MEMBERS) if (jwk[m] !== undefined) out[m] = jwk[m];
  return out as JWK;
}
