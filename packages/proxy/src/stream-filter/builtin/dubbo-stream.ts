import type { HeaderMap } from '@mosn/stream';
import { MethodCountersCache, type MethodCounters } from '../../stats/counters.js';
import { LISTENER } from '../../stats/names.js';
import type { Stats } from '../../stats/stats.js';
import type { StreamFilter, StreamFilterFactory, StreamFilterHandler, StreamFilterStatus } from '../api.js';

/** MOSN's `dubbo_stream` config. */
export interface DubboStreamConfig {
  /** `subset`: the pod label MOSN adds to the stats as `subset` (mosn-ts has no pod labels: unused, see docs/filters.md). */
  readonly subset?: string;
}

/** The protocol name of Dubbo requests (the codec's). */
const DUBBO = 'dubbo';

/**
 * `dubbo_stream`: MOSN's Dubbo filter (pkg/filter/stream/dubbo), before the route. For a Dubbo request it sets the
 * routing host to the request's service name and the path to `/` (`x-mosn-host`, `x-mosn-path`), so that the
 * router picks the virtual host whose `domains` name the service (how Istio's routes for Dubbo are shaped), and it
 * counts the request per service and method of the listener (`listener.<name>.dubbo.<service>.<method>.`:
 * `request_total`; in the response phase `response_succ_total` for an upstream answer with Dubbo status OK,
 * `response_fail_total` for any other). Other protocols' requests, and a Dubbo request whose service cannot be read,
 * go on untouched.
 */
export function dubboStreamFilterFactory(config: DubboStreamConfig, stats: Stats, statPrefix: string): StreamFilterFactory<DubboStreamConfig> {
  const counters = new MethodCountersCache(stats, statPrefix, 'dubbo', stats.counter(statPrefix + LISTENER.dubbo_stats_overflow));
  return { name: 'dubbo_stream', phase: 'before_route', config, createFilter: () => new DubboStreamFilter(counters) };
}

class DubboStreamFilter implements StreamFilter {
  readonly #cache: MethodCountersCache;
  /** This request's counters, once it was counted. */
  #counters: MethodCounters | undefined;

  constructor(cache: MethodCountersCache) {
    this.#cache = cache;
  }

  onRequestHeaders(h: StreamFilterHandler, headers: HeaderMap): StreamFilterStatus {
    if (h.protocol !== DUBBO) return 'continue';
    const service = headers.get('service');
    // a body mosn cannot read (another serialization): the router answers it (codec error) as without the filter
    if (service === undefined || service === '') return 'continue';
    h.setVariable('x-mosn-host', service);
    // the routes are HTTP routes: a path for their `prefix: "/"`
    h.setVariable('x-mosn-path', '/');
    const counters = this.#cache.get(service, headers.get('method') ?? '');
    if (counters !== undefined) {
      counters.request_total.inc();
      this.#counters = counters;
    }
    return 'continue';
  }

  /** `status` is the Dubbo status mapped to HTTP: 200 is OK (20), and only OK. */
  onResponseHeaders(_h: StreamFilterHandler, _headers: HeaderMap, status: number): void {
    const counters = this.#counters;
    if (counters === undefined) return;
    if (status === 200) counters.response_succ_total.inc();
    else counters.response_fail_total.inc();
  }
}
