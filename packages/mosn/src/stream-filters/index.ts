export { faultFilter } from './fault.js';
export { flowControlFilter } from './flow-control.js';
export { gzipFilter } from './gzip.js';
export { ipAccessFilter } from './ip-access.js';
export { MAX_AMPLIFICATION, mirrorFilter } from './mirror.js';
export { payloadLimitFilter } from './payload-limit.js';
export { readStreamFilters, readPerFilterConfig } from './read.js';
export type { StreamFilterBuildContext, StreamFilterExtension, StreamFilterPlugin } from './types.js';
export { loadThirdPartStreamFilters } from './load-packages.js';
