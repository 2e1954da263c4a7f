import type { ServiceDefinition } from '@grpc/grpc-js';
import { decodeMessage, encodeMessage, type AnyMessage, type Message } from './proto.js';

const REQUEST = 'envoy.service.discovery.v3.DiscoveryRequest';
const RESPONSE = 'envoy.service.discovery.v3.DiscoveryResponse';

/** The `node` of a DiscoveryRequest (envoy.config.core.v3.Node), as far as mosn-ts fills it. */
export interface XdsNode {
  id: string;
  cluster: string;
  metadata?: Message;
  user_agent_name?: string;
  user_agent_version?: string;
}

/** envoy.service.discovery.v3.DiscoveryRequest (state of the world), as plain object. */
export interface DiscoveryRequest {
  version_info?: string;
  node?: XdsNode | Message;
  resource_names?: string[];
  type_url?: string;
  response_nonce?: string;
  error_detail?: { code?: number; message?: string };
}

/** envoy.service.discovery.v3.DiscoveryResponse, resources left packed. */
export interface DiscoveryResponse {
  version_info?: string;
  resources?: AnyMessage[];
  type_url?: string;
  nonce?: string;
}

/** The one method of Envoy's AggregatedDiscoveryService: a bidirectional stream of requests and responses. */
export const ADS_METHOD = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';

export const encodeRequest = (r: DiscoveryRequest): Buffer => encodeMessage(REQUEST, r as Message);
export const decodeRequest = (b: Buffer): DiscoveryRequest => decodeMessage(REQUEST, b) as DiscoveryRequest;
export const encodeResponse = (r: DiscoveryResponse): Buffer => encodeMessage(RESPONSE, r as unknown as Message);
export const decodeResponse = (b: Buffer): DiscoveryResponse => decodeMessage(RESPONSE, b) as DiscoveryResponse;

/** The service definition for a @grpc/grpc-js server (the test control plane uses it). */
export const adsServiceDefinition: ServiceDefinition = {
  StreamAggregatedResources: {
    path: ADS_METHOD,
    requestStream: true,
    responseStream: true,
    requestSerialize: encodeRequest,
    requestDeserialize: decodeRequest,
    responseSerialize: encodeResponse,
    responseDeserialize: decodeResponse,
  },
};
