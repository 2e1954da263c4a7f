import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import type { JwtProviderConfig } from './types.js';

/** For tests: a signing key made now, and its public JWK (with `kid`). */
export interface TestKey {
  readonly alg: string;
  readonly kid: string;
  readonly privateKey: CryptoKey | Uint8Array;
  readonly jwk: JWK;
}

/** For tests: a new key pair for `alg` (RS256, ES256, EdDSA), or a random secret for HS256. */
export async function testKey(kid: string, alg = 'RS256'): Promise<TestKey> {
  if (alg.startsWith('HS')) {
    const secret = crypto.getRandomValues(new Uint8Array(32));
    return { alg, kid, privateKey: secret, jwk: { kty: 'oct', kid, k: Buffer.from(secret).toString('base64url') } };
  }
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  return { alg, kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid } };
}

/** For tests: a compact JWT of `claims` signed with `key` (`header` adds to or replaces its protected header). */
export function testToken(key: TestKey, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey);
}

/** For tests: a provider with local keys and the defaults of the config reader. */
export function testProvider(name: string, keys: readonly JWK[], o: Partial<JwtProviderConfig> = {}): JwtProviderConfig {
  return {
    name,
    issuer: '',
    audiences: [],
    jwks: { kind: 'local', keys },
    forward: false,
    fromHeaders: [],
    fromParams: [],
    padForwardPayloadHeader: false,
    clockSkewSeconds: 0,
    tokenCacheSize: 100,
    ...o,
  };
}
