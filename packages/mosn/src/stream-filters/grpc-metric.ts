import { grpcMetricFilterFactory, type GrpcMetricConfig } from '@mosn/proxy';
import type { StreamFilterExtension } from './types.js';

/** `grpc_metric` (MOSN's pkg/filter/stream/grpcmetric): gRPC calls counted per service and method. No config keys. */
export const grpcMetricFilter: StreamFilterExtension<GrpcMetricConfig> = {
  perRoute: false,
  read(c) {
    c.finish();
    return {};
  },
  build: (config, ctx) => grpcMetricFilterFactory(config, ctx.stats, ctx.statPrefix),
};
