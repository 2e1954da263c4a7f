export type {
  LocalReplyHeaders,
  MirrorOptions,
  ResponseDataResult,
  RoutingVariable,
  StreamFilter,
  StreamFilterFactory,
  StreamFilterHandler,
  StreamFilterPhase,
  StreamFilterStatus,
} from './api.js';
export { StreamFilterChain, StreamFilterChainFactory, type RouteOverride, type StreamFilterOwner } from './chain.js';
export { grpcStatusOfHttp, internalStatusOfHttp } from './local-reply.js';
