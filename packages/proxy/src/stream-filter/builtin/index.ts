export { faultFilterFactory, type FaultConfig } from './fault.js';
export { DEFAULT_PAYLOAD_LIMIT_STATUS, payloadLimitFilterFactory, type PayloadLimitConfig } from './payload-limit.js';
export { blockListOf, ipAccessFilterFactory, type IpAccessConfig, type IpAccessRule } from './ip-access.js';
export { BROADCAST_STATUS, mirrorFilterFactory, type MirrorConfig } from './mirror.js';
export { FLOW_CONTROL_DEFAULT_ACTION, flowControlFilterFactory, type FlowControlConfig, type FlowControlContext, type FlowLimitKeyType } from './flow-control.js';
export { DEFAULT_STAT_INTERVAL_MS, type FlowRule } from './flow-limiter.js';
