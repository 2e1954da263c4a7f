import { dubboStreamFilterFactory, type DubboStreamConfig } from '@mosn/proxy';
import type { StreamFilterExtension } from './types.js';

/**
 * `dubbo_stream` (MOSN's pkg/filter/stream/dubbo): Dubbo requests routed by service name (a virtual host whose
 * `domains` name the service, routes with `prefix: "/"`) and counted per service and method. `subset` (a pod
 * label key MOSN adds to the stats, and whose pod labels it copies into the request) is read and warned about:
 * mosn-ts has no Istio pod labels.
 */
export const dubboStreamFilter: StreamFilterExtension<DubboStreamConfig> = {
  // it runs before the route: a route's config for it would be read by nothing (as in MOSN)
  perRoute: false,
  read(c) {
    const subset = c.str('subset') || undefined;
    if (subset !== undefined) {
      c.problems.warn(c.at('subset'), 'mosn-ts has no Istio pod labels: no pod label is added to the requests or, as `subset`, to the stats');
    }
    c.finish();
    return subset === undefined ? {} : { subset };
  },
  build: (config, ctx) => dubboStreamFilterFactory(config, ctx.stats, ctx.statPrefix),
};
