import type { HeaderMap } from '@mosn/proxy';
import { TokenExtractor } from './extract.js';
import { audienceSet, type Provider, type ProviderSet } from './providers.js';
import type { JwtStatus } from './status.js';
import type { JwtRequirement } from './types.js';
import { verifyToken } from './verify-token.js';

/** One request being checked: its headers (changed as tokens are forwarded), its query string, and the clock. */
export interface VerifyRequest {
  readonly headers: HeaderMap;
  /** The text after `?` (empty without one). */
  readonly query: string;
  readonly nowMs: number;
}

/**
 * A requirement, compiled once per listener (Envoy's verifier tree): `verify` checks one request against it.
 * Verifiers hold no request state, so one tree serves every request.
 */
export interface Verifier {
  verify(request: VerifyRequest): Promise<JwtStatus>;
  /** Whether the requirement lets every request through without looking (a rule that requires nothing). */
  readonly allowsAll: boolean;
}

/** Thrown when a requirement names a provider the config does not have (the reader reports it first). */
export class UnknownProviderError extends Error {}

/**
 * A requirement → its verifier. `provider_name` checks that provider's tokens (all must be good); `requires_any`
 * passes when one of its requirements does, and fails with the last one's status; `requires_all` fails with the
 * first failure. `allow_missing` and `allow_missing_or_failed` read the locations of the providers named beside them
 * in a `requires_any` (elsewhere: none, so they let every request through), and check found tokens with the
 * provider of each token's issuer. As Envoy, of several by-pass requirements in one `requires_any` only the last
 * `allow_missing_or_failed` (else the last `allow_missing`) counts, and it is tried after the others.
 */
export function compileRequirement(requirement: JwtRequirement, providers: ProviderSet, siblingProviders: readonly Provider[] = []): Verifier {
  switch (requirement.kind) {
    case 'provider': {
      const provider = providerNamed(providers, requirement.provider);
      const audiences = requirement.audiences === undefined ? undefined : audienceSet(requirement.audiences);
      return new TokenVerifier(new TokenExtractor([provider.config]), providers, provider, audiences, false, false);
    }
    case 'allow_missing':
      return new TokenVerifier(new TokenExtractor(siblingProviders.map((p) => p.config)), providers, undefined, undefined, false, true);
    case 'allow_missing_or_failed':
      return new TokenVerifier(new TokenExtractor(siblingProviders.map((p) => p.config)), providers, undefined, undefined, true, true);
    case 'all':
      return new AllVerifier(requirement.requirements.map((r) => compileRequirement(r, providers)));
    case 'any':
      return compileAny(requirement.requirements, providers);
    case 'none':
      return ALLOW_ALL;
  }
}

function compileAny(requirements: readonly JwtRequirement[], providers: ProviderSet): Verifier {
  const verifiers: Verifier[] = [];
  const named: Provider[] = [];
  let byPass: JwtRequirement | undefined;
  for (const r of requirements) {
    if (r.kind === 'allow_missing' || r.kind === 'allow_missing_or_failed') {
      if (byPass === undefined || byPass.kind === 'allow_missing') byPass = r;
      continue;
    }
    if (r.kind === 'provider') named.push(providerNamed(providers, r.provider));
    verifiers.push(compileRequirement(r, providers));
  }
  if (byPass !== undefined) verifiers.push(compileRequirement(byPass, providers, named));
  return new AnyVerifier(verifiers);
}

function providerNamed(providers: ProviderSet, name: string): Provider {
  const p = providers.byName(name);
  if (p === undefined) throw new UnknownProviderError(`provider "${name}" is not configured`);
  return p;
}

const ALLOW_ALL: Verifier = { allowsAll: true, verify: () => Promise.resolve('ok') };

/**
 * The tokens found at the locations of some providers, each checked (Envoy's authenticator): without tokens,
 * `missing`; every token must be good, or the first bad one's status is the answer. `allowMissing` goes on past
 * bad tokens and passes when none was found; `allowFailed` passes whatever it found.
 */
class TokenVerifier implements Verifier {
  readonly allowsAll: boolean;
  readonly #extractor: TokenExtractor;
  readonly #check: { provider: Provider | undefined; audiences: ReadonlySet<string> | undefined; providers: ProviderSet };
  readonly #allowFailed: boolean;
  readonly #allowMissing: boolean;

  constructor(extractor: TokenExtractor, providers: ProviderSet, provider: Provider | undefined, audiences: ReadonlySet<string> | undefined, allowFailed: boolean, allowMissing: boolean) {
    this.#extractor = extractor;
    this.#check = { provider, audiences, providers };
    this.#allowFailed = allowFailed;
    this.#allowMissing = allowMissing;
    this.allowsAll = allowMissing && extractor.isEmpty;
  }

  async verify(request: VerifyRequest): Promise<JwtStatus> {
    this.#extractor.sanitize(request.headers);
    const tokens = this.#extractor.extract(request.headers, request.query);
    let status: JwtStatus = 'missing';
    // the last found first, as Envoy's authenticator
    for (let i = tokens.length - 1; i >= 0; i--) {
      status = await verifyToken(tokens[i]!, this.#check, request.headers, request.nowMs);
      if (status !== 'ok' && !this.#allowFailed && !this.#allowMissing) return status;
    }
    if (this.#allowFailed) return 'ok';
    if (this.#allowMissing && status === 'missing') return 'ok';
    return status;
  }
}

class AnyVerifier implements Verifier {
  readonly allowsAll = false;
  readonly #verifiers: readonly Verifier[];
  constructor(verifiers: readonly Verifier[]) {
    this.#verifiers = verifiers;
  }
  async verify(request: VerifyRequest): Promise<JwtStatus> {
    let status: JwtStatus = 'missing';
    for (const v of this.#verifiers) {
      status = await v.verify(request);
      if (status === 'ok') return status;
    }
    return status;
  }
}

class AllVerifier implements Verifier {
  readonly allowsAll = false;
  readonly #verifiers: readonly Verifier[];
  constructor(verifiers: readonly Verifier[]) {
    this.#verifiers = verifiers;
  }
  async verify(request: VerifyRequest): Promise<JwtStatus> {
    for (const v of this.#verifiers) {
      const status = await v.verify(request);
      if (status !== 'ok') return status;
    }
    return 'ok';
  }
}
