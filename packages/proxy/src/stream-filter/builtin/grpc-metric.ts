import type { HeaderMap } from '@mosn/stream';
import { MethodCountersCache, type MethodCounters } from '../../stats/counters.js';
import { LISTENER } from '../../stats/names.js';
import type { Stats } from '../../stats/stats.js';
import type { StreamFilter, StreamFilterFactory, StreamFilterHandler, StreamFilterStatus } from '../api.js';

/** MOSN's `grpc_metric` takes no config. */
export type GrpcMetricConfig = Readonly<Record<string, never>>;

/**
 * `grpc_metric`: MOSN's gRPC call counters (pkg/filter/stream/grpcmetric), for the gRPC calls the proxy carries
 * (HTTP/2 requests whose `content-type` is `application/grpc...`). Once a call's gRPC status is known, it counts
 * per service and method of the listener (`listener.<name>.grpc.<service>.<method>.`): `request_total`, and
 * `response_succ_total` for `grpc-status: 0`, `response_fail_total` for any other. The status comes in the
 * response's trailers, or in its headers when they end the response (a trailers-only answer); an answer that ends
 * without one, or breaks off, is a failure. Calls mosn answers itself (no route, timeout, ...) are not counted:
 * the response phase runs on upstream answers only.
 */
export function grpcMetricFilterFactory(config: GrpcMetricConfig, stats: Stats, statPrefix: string): StreamFilterFactory<GrpcMetricConfig> {
  const counters = new MethodCountersCache(stats, statPrefix, 'grpc', stats.counter(statPrefix + LISTENER.grpc_stats_overflow));
  // before the route: it reads no route, and (as MOSN's) no route's config
  return { name: 'grpc_metric', phase: 'before_route', config, createFilter: () => new GrpcMetricFilter(counters) };
}

/** Whether a request is a gRPC call: HTTP/2 with `application/grpc` or `application/grpc+<codec>` (`;` parameters allowed). */
export function isGrpcRequest(protocol: string, contentType: string | undefined): boolean {
  if (protocol !== 'Http2' || contentType === undefined || !contentType.startsWith('application/grpc')) return false;
  const next = contentType.charCodeAt('application/grpc'.length);
  // end, '+' (the codec), ';' (parameters)
  return Number.isNaN(next) || next === 0x2b || next === 0x3b;
}

/** `/package.Service/Method` → [service, method]; undefined for a path that is not a gRPC method name. */
export function grpcMethodOf(path: string | undefined): [string, string] | undefined {
  if (path === undefined || path.charCodeAt(0) !== 0x2f) return undefined;
  const slash = path.indexOf('/', 1);
  if (slash <= 1 || slash === path.length - 1 || path.indexOf('/', slash + 1) >= 0) return undefined;
  return [path.slice(1, slash), path.slice(slash + 1)];
}

class GrpcMetricFilter implements StreamFilter {
  readonly #cache: MethodCountersCache;
  /** This call's counters (a gRPC call over the bound, or not a gRPC call: none). */
  #counters: MethodCounters | undefined;
  /** The upstream's answer started: if it ends without a status, the call failed. */
  #answered = false;

  constructor(cache: MethodCountersCache) {
    this.#cache = cache;
  }

  onRequestHeaders(h: StreamFilterHandler, headers: HeaderMap): StreamFilterStatus {
    if (!isGrpcRequest(h.protocol, headers.get('content-type'))) return 'continue';
    const method = grpcMethodOf(h.variable('x-mosn-path'));
    this.#counters = method === undefined ? this.#cache.overflow() : this.#cache.get(method[0], method[1]);
    return 'continue';
  }

  onResponseHeaders(_h: StreamFilterHandler, headers: HeaderMap, _status: number, endStream: boolean): void {
    if (this.#counters === undefined) return;
    this.#answered = true;
    const status = headers.get('grpc-status');
    if (status !== undefined) this.#count(status === '0');
    else if (endStream) this.#count(false);
  }

  onResponseData(_h: StreamFilterHandler, _data: Buffer, endStream: boolean): void {
    // a body that ends the response: no trailers, so no status
    if (endStream && this.#counters !== undefined) this.#count(false);
  }

  onResponseTrailers(_h: StreamFilterHandler, trailers: HeaderMap): void {
    if (this.#counters !== undefined) this.#count(trailers.get('grpc-status') === '0');
  }

  onDestroy(): void {
    // the answer started and broke off (an upstream reset, the client went away) before its status came
    if (this.#answered && this.#counters !== undefined) this.#count(false);
  }

  /** Count the call once. */
  #count(ok: boolean): void {
    const counters = this.#counters!;
    this.#counters = undefined;
    counters.request_total.inc();
    if (ok) counters.response_succ_total.inc();
    else counters.response_fail_total.inc();
  }
}
