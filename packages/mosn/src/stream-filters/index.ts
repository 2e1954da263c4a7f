export { dubboStreamFilter } from './dubbo-stream.js';
export { faultFilter } from './fault.js';
export { flowControlFilter } from './flow-control.js';
export { grpcMetricFilter } from './grpc-metric.js';
export { ipAccessFilter } from './ip-access.js';
export { MAX_AMPLIFICATION, mirrorFilter } from './mirror.js';
export { payloadLimitFilter } from './payload-limit.js';
export { readStreamFilters, readPerFilterConfig } from './read.js';
export type { StreamFilterBuildContext, StreamFilterExtension } from './types.js';
