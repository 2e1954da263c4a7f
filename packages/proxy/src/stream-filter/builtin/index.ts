export { faultFilterFactory, type FaultConfig } from './fault.js';
export { DEFAULT_PAYLOAD_LIMIT_STATUS, payloadLimitFilterFactory, type PayloadLimitConfig } from './payload-limit.js';
export { blockListOf, ipAccessFilterFactory, type IpAccessConfig, type IpAccessRule } from './ip-access.js';
export { BROADCAST_STATUS, mirrorFilterFactory, type MirrorConfig } from './mirror.js';
export { FLOW_CONTROL_DEFAULT_ACTION, flowControlFilterFactory, type FlowControlConfig, type FlowControlContext, type FlowLimitKeyType } from './flow-control.js';
export { DEFAULT_STAT_INTERVAL_MS, type FlowRule } from './flow-limiter.js';
export { DEFAULT_GZIP_CONTENT_TYPES, DEFAULT_GZIP_LEVEL, gzipFilterFactory, type GzipConfig } from './gzip.js';
export { dubboStreamFilterFactory, type DubboStreamConfig } from './dubbo-stream.js';
export { grpcMetricFilterFactory, grpcMethodOf, isGrpcRequest, type GrpcMetricConfig } from './grpc-metric.js';
