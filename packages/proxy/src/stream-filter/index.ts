export type { LocalReplyHeaders, MirrorOptions, StreamFilter, StreamFilterFactory, StreamFilterHandler, StreamFilterPhase, StreamFilterStatus } from './api.js';
export { StreamFilterChain, StreamFilterChainFactory, type StreamFilterOwner } from './chain.js';
export { grpcStatusOfHttp, internalStatusOfHttp } from './local-reply.js';
export * from './builtin/index.js';
