import { compactVerify, importJWK, type CryptoKey, type JWK } from 'jose';
import type { JwtStatus } from './status.js';

/** The key type (and curve) each JWS algorithm Envoy's jwt_authn supports needs. */
const ALGORITHMS: Readonly<Record<string, { kty: string; crv?: readonly string[] }>> = {
  RS256: { kty: 'RSA' },
  RS384: { kty: 'RSA' },
  RS512: { kty: 'RSA' },
  PS256: { kty: 'RSA' },
  PS384: { kty: 'RSA' },
  PS512: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: ['P-256'] },
  ES384: { kty: 'EC', crv: ['P-384'] },
  ES512: { kty: 'EC', crv: ['P-521'] },
  EdDSA: { kty: 'OKP', crv: ['Ed25519'] },
  Ed25519: { kty: 'OKP', crv: ['Ed25519'] },
  HS256: { kty: 'oct' },
  HS384: { kty: 'oct' },
  HS512: { kty: 'oct' },
};

/** Whether tokens signed with `alg` can be checked at all (`none` and unknown algorithms cannot). */
export function isSupportedAlgorithm(alg: unknown): alg is string {
  return typeof alg === 'string' && Object.hasOwn(ALGORITHMS, alg);
}

/**
 * One JWKS's keys, imported for jose when first used (once per key and algorithm) and kept with the set. A token's
 * key is chosen as Envoy's jwt_verify_lib does: a key with a `kid` must match the token's `kid` (a key without
 * one may sign any token), a key with an `alg` must match the token's, its type (and curve) must fit the algorithm,
 * and `use`, when present, must be `sig`; each such key is tried until one verifies the signature.
 */
export class KeySet {
  readonly keys: readonly JWK[];
  #imported = new Map<JWK, Map<string, Promise<CryptoKey | Uint8Array>>>();

  constructor(keys: readonly JWK[]) {
    this.keys = keys;
  }

  /** Whether `token`'s signature (by `alg`, the token's `kid`) verifies with one of the keys. */
  async verify(token: string, alg: string, kid: string | undefined): Promise<JwtStatus> {
    const need = ALGORITHMS[alg];
    if (need === undefined) return 'unsupported_alg';
    let tried = false;
    for (const jwk of this.keys) {
      if (!fits(jwk, need, alg, kid)) continue;
      tried = true;
      try {
        await compactVerify(token, await this.#key(jwk, alg), { algorithms: [alg] });
        return 'ok';
      } catch {
        // a wrong signature, or a key jose cannot use for alg: try the next key
      }
    }
    return tried ? 'verification_failed' : 'kid_alg_mismatch';
  }

  #key(jwk: JWK, alg: string): Promise<CryptoKey | Uint8Array> {
    let byAlg = this.#imported.get(jwk);
    if (byAlg === undefined) this.#imported.set(jwk, (byAlg = new Map()));
    let key = byAlg.get(alg);
    if (key === undefined) {
      key = importJWK(jwk, alg);
      byAlg.set(alg, key);
      // a key that failed to import fails again each time: keep the rejection (handled by each verify)
      key.catch(() => {});
    }
    return key;
  }
}

function fits(jwk: JWK, need: { kty: string; crv?: readonly string[] }, alg: string, kid: string | undefined): boolean {
  if (jwk.kty !== need.kty) return false;
  if (need.crv !== undefined && (jwk.crv === undefined || !need.crv.includes(jwk.crv))) return false;
  if (kid !== undefined && jwk.kid !== undefined && jwk.kid !== kid) return false;
  if (jwk.alg !== undefined && jwk.alg !== alg) return false;
  return jwk.use === undefined || jwk.use === 'sig';
}
