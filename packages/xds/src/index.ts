export {
  CLUSTER_TYPE,
  ENDPOINT_TYPE,
  LISTENER_TYPE,
  messageName,
  RESOURCE_TYPES,
  type ResourceType,
  ROUTE_TYPE,
  SHORT_NAME,
} from './type-urls.js';
export {
  type AnyMessage,
  decodeMessage,
  encodeMessage,
  envoyApi,
  type Message,
  messageType,
  packAny,
  TO_OBJECT,
  unpackAny,
} from './proto.js';
export {
  ADS_METHOD,
  adsServiceDefinition,
  decodeRequest,
  decodeResponse,
  type DiscoveryRequest,
  type DiscoveryResponse,
  encodeRequest,
  encodeResponse,
  type XdsNode,
} from './ads-service.js';
export {
  AdsClient,
  type AdsClientOptions,
  type ResponseHandler,
  type XdsLogger,
  type XdsResource,
} from './ads-client.js';
export { Backoff } from './backoff.js';
export {
  ConvertContext,
  type ConvertProblem,
  ConvertProblems,
  durationMs,
  durationString,
  type MosnJson,
} from './convert/context.js';
export { durationFromJson, type JsonProblem, messageFromJson } from './proto-json.js';
export {
  type Proposal,
  ResourceStore,
  type ResourceStoreOptions,
  type StoreState,
  type XdsSections,
} from './resource-store.js';
export { convertCluster, type ConvertedCluster } from './convert/cluster.js';
export { convertClusterLoadAssignment } from './convert/endpoint.js';
export { convertListener, type ConvertedListener, type ListenerRoute } from './convert/listener.js';
export { convertRouteConfiguration } from './convert/route.js';
export { withHttp2Upstreams } from './convert/route-upstream.js';
export { fullMatch, literalRegex, re2ToJs, type RegexResult } from './convert/matcher.js';
