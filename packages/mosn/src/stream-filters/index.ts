export { faultFilter } from './fault.js';
export { ipAccessFilter } from './ip-access.js';
export { jwtAuthnFilter, type JwtAuthnConfig } from './jwt-authn/index.js';
export { payloadLimitFilter } from './payload-limit.js';
export { readStreamFilters, readPerFilterConfig } from './read.js';
export type { StreamFilterBuildContext, StreamFilterExtension } from './types.js';
