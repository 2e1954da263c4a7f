import {
  JWT_AUTHN,
  logRateLimited,
  type Counter,
  type HeaderMap,
  type LocalReplyHeaders,
  type Logger,
  type StreamFilter,
  type StreamFilterFactory,
  type StreamFilterHandler,
  type StreamFilterStatus,
} from '@mosn/proxy';
import type { StreamFilterBuildContext } from '../types.js';
import { RuleMatcher } from './match.js';
import { ProviderSet } from './providers.js';
import type { RemoteJwksEvents } from './remote-jwks.js';
import { statusText, type JwtStatus } from './status.js';
import type { JwtAuthnConfig } from './types.js';
import { compileRequirement, type Verifier, type VerifyRequest } from './verifier.js';

/** The variable that holds an HTTP request's target (`/path?query`), by downstream protocol. */
const TARGET_VARIABLE: Readonly<Record<string, string>> = { Http1: 'Http1_request_uri', Http2: 'Http2_request_uri' };

/** The longest path in a refusal's `www-authenticate` realm (Envoy's limit). */
const MAX_REALM_PATH = 256;

interface JwtAuthnCounters {
  readonly allowed: Counter;
  readonly denied: Counter;
  readonly corsBypassed: Counter;
}

interface CompiledRule {
  readonly matcher: RuleMatcher;
  readonly verifier: Verifier;
}

/**
 * `jwt_authn` (MOSN's istio/filter/stream/jwtauthn, Envoy's JWT authentication), after the route, for HTTP/1 and
 * HTTP/2 requests (RPC requests pass: MOSN's filter reads HTTP variables only). The first rule whose `match` holds
 * gives the request's requirement; a request no rule matches, or whose rule requires nothing, goes on at once and
 * allocates nothing here. Otherwise the request is paused while its tokens are checked (signatures are verified
 * by jose, asynchronously; a remote JWKS may be fetched first) and then resumed, or refused with 401, the reason
 * as the body (Envoy's words) and `www-authenticate: Bearer realm="<url>"`. Config is compiled once per listener:
 * one filter object serves every request. `now` gives the time (tests pass their own).
 */
export function jwtAuthnFilterFactory(config: JwtAuthnConfig, ctx: StreamFilterBuildContext, now: () => number = Date.now): StreamFilterFactory<JwtAuthnConfig> {
  const prefix = `${ctx.statPrefix}jwt_authn.`;
  const counters: JwtAuthnCounters = {
    allowed: ctx.stats.counter(prefix + JWT_AUTHN.allowed),
    denied: ctx.stats.counter(prefix + JWT_AUTHN.denied),
    corsBypassed: ctx.stats.counter(prefix + JWT_AUTHN.cors_preflight_bypassed),
  };
  const log = ctx.logger.child({ listener: ctx.listenerName, filter: 'jwt_authn' });
  const fetched = ctx.stats.counter(prefix + JWT_AUTHN.jwks_fetch_success);
  const fetchFailed = ctx.stats.counter(prefix + JWT_AUTHN.jwks_fetch_failed);
  const events: RemoteJwksEvents = {
    fetched: () => fetched.inc(),
    failed: (uri, reason) => {
      fetchFailed.inc();
      logRateLimited(log, (suppressed) => ({ uri, ...(suppressed > 0 ? { suppressed } : {}) }), `jwt_authn: fetching a remote JWKS failed: ${reason}`);
    },
  };
  const providers = new ProviderSet(config.providers, events, now);
  const rules = config.rules.map((r) => ({ matcher: new RuleMatcher(r.match), verifier: compileRequirement(r.requires, providers) }));
  const filter = new JwtAuthnFilter(config, rules, counters, log, now);
  return { name: 'jwt_authn', phase: 'after_route', config, createFilter: () => filter };
}

/** One object for all of a listener's requests: it keeps no request state (a paused request has its PendingCheck). */
class JwtAuthnFilter implements StreamFilter {
  readonly #rules: readonly CompiledRule[];
  readonly #bypassCorsPreflight: boolean;
  readonly stripFailureResponse: boolean;
  readonly counters: JwtAuthnCounters;
  readonly log: Logger;
  readonly now: () => number;

  constructor(config: JwtAuthnConfig, rules: readonly CompiledRule[], counters: JwtAuthnCounters, log: Logger, now: () => number) {
    this.#rules = rules;
    this.#bypassCorsPreflight = config.bypassCorsPreflight;
    this.stripFailureResponse = config.stripFailureResponse;
    this.counters = counters;
    this.log = log;
    this.now = now;
  }

  onRequestHeaders(h: StreamFilterHandler, headers: HeaderMap): StreamFilterStatus {
    const targetVariable = TARGET_VARIABLE[h.protocol];
    if (targetVariable === undefined) return 'continue';
    if (this.#bypassCorsPreflight && isCorsPreflight(h, headers)) {
      this.counters.corsBypassed.inc();
      this.counters.allowed.inc();
      return 'continue';
    }
    const target = h.variable(targetVariable) ?? '/';
    let verifier: Verifier | undefined;
    for (const rule of this.#rules) {
      if (rule.matcher.matches(headers, target)) {
        verifier = rule.verifier;
        break;
      }
    }
    if (verifier === undefined || verifier.allowsAll) {
      this.counters.allowed.inc();
      return 'continue';
    }
    new PendingCheck(this, h, headers, target).run(verifier);
    return 'stop';
  }
}

/** A request paused while its tokens are checked; it resumes or refuses the request when the check ends. */
class PendingCheck implements VerifyRequest {
  readonly headers: HeaderMap;
  readonly query: string;
  readonly nowMs: number;
  readonly #filter: JwtAuthnFilter;
  readonly #h: StreamFilterHandler;
  readonly #target: string;

  constructor(filter: JwtAuthnFilter, h: StreamFilterHandler, headers: HeaderMap, target: string) {
    this.#filter = filter;
    this.#h = h;
    this.headers = headers;
    this.#target = target;
    const q = target.indexOf('?');
    this.query = q < 0 ? '' : target.slice(q + 1);
    this.nowMs = filter.now();
  }

  run(verifier: Verifier): void {
    verifier.verify(this).then(
      (status) => this.#done(status),
      (e: unknown) => this.#failed(e),
    );
  }

  // a request that ended meanwhile (the client went away) is not resumed or answered: the handler ignores both
  #done(status: JwtStatus): void {
    const f = this.#filter;
    if (status === 'ok') {
      f.counters.allowed.inc();
      this.#h.continue();
      return;
    }
    f.counters.denied.inc();
    if (f.log.isLevelEnabled?.('debug')) f.log.debug({ status }, `jwt_authn: request refused: ${statusText(status)}`);
    if (f.stripFailureResponse) this.#h.sendLocalReply(401);
    else this.#h.sendLocalReply(401, statusText(status), this.#challenge(status));
  }

  #failed(e: unknown): void {
    logRateLimited(this.#filter.log, () => ({ err: e }), 'jwt_authn: checking a request failed (a bug in mosn-ts, please report it)');
    this.#h.sendLocalReply(500, 'jwt_authn failed');
  }

  /** RFC 6750's challenge, as Envoy sends it: the request's URL (without its query) as the realm. */
  #challenge(status: JwtStatus): LocalReplyHeaders {
    const headers = this.headers;
    const scheme = headers.get('x-forwarded-proto') ?? 'http';
    const host = headers.get('host') ?? headers.get(':authority') ?? '';
    const q = this.#target.indexOf('?');
    const path = (q < 0 ? this.#target : this.#target.slice(0, q)).slice(0, MAX_REALM_PATH);
    const realm = `${scheme}://${host}${path}`.replace(/["\\]/g, (c) => encodeURIComponent(c));
    return { 'www-authenticate': `Bearer realm="${realm}"${status === 'missing' ? '' : ', error="invalid_token"'}` };
  }
}

/** An OPTIONS request with `Origin` and `Access-Control-Request-Method`: a browser asking, before the real request. */
function isCorsPreflight(h: StreamFilterHandler, headers: HeaderMap): boolean {
  return h.variable('x-mosn-method') === 'OPTIONS' && !!headers.get('origin') && !!headers.get('access-control-request-method');
}
