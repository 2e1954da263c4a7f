export { faultFilter } from './fault.js';
export { flowControlFilter } from './flow-control.js';
export { ipAccessFilter } from './ip-access.js';
export { jwtAuthnFilter, type JwtAuthnConfig } from './jwt-authn/index.js';
export { MAX_AMPLIFICATION, mirrorFilter } from './mirror.js';
export { payloadLimitFilter } from './payload-limit.js';
export { readStreamFilters, readPerFilterConfig } from './read.js';
export type { StreamFilterBuildContext, StreamFilterExtension } from './types.js';
