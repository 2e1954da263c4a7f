import { HttpHeaders, type InternalStatus, type ServerStream } from '@mosn/stream';
import type { LocalReplyHeaders } from './api.js';

/**
 * A filter's local reply (an HTTP status) in each protocol: HTTP as it is; a gRPC request as a trailers-only
 * reply with Envoy's HTTP-to-gRPC status; an RPC protocol as the error response its codec makes for the
 * nearest internal status (MOSN's codecs map HTTP codes the same way: 404 no processor, 503 busy, ...).
 */

/** The internal status whose protocol error an RPC client gets for a filter's HTTP status. */
export function internalStatusOfHttp(status: number): InternalStatus {
  switch (status) {
    case 400:
      return 'codec_error';
    case 404:
      return 'no_route';
    case 502:
      return 'no_healthy_upstream';
    case 503:
    case 429:
      return 'upstream_overflow';
    case 504:
      return 'timeout';
    default:
      return 'internal_error';
  }
}

/** Envoy's Grpc::Utility::httpToGrpcStatus. */
export function grpcStatusOfHttp(status: number): number {
  switch (status) {
    case 400:
      return 13; // INTERNAL
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 12; // UNIMPLEMENTED
    case 429:
    case 502:
    case 503:
    case 504:
      return 14; // UNAVAILABLE
    default:
      return 2; // UNKNOWN
  }
}

/** Answer an HTTP request (HTTP/1, HTTP/2, gRPC) with a filter's status, message and headers. */
export function sendHttpFilterReply(
  down: ServerStream,
  requestHeaders: HttpHeaders,
  status: number,
  message: string | undefined,
  extra?: LocalReplyHeaders,
): void {
  if (requestHeaders.get('content-type')?.startsWith('application/grpc') && down.protocol === 'Http2') {
    const headers = new HttpHeaders(['content-type', 'application/grpc', 'grpc-status', String(grpcStatusOfHttp(status))]);
    if (message !== undefined) headers.set('grpc-message', encodeURIComponent(message));
    if (extra !== undefined) for (const name of Object.keys(extra)) headers.set(name, extra[name]!);
    down.sendHeaders({ status: 200, headers }, true);
    return;
  }
  const body = message === undefined ? undefined : message + '\n';
  if (extra === undefined) down.sendResponse(status, body);
  else down.sendResponse(status, body, new HttpHeaders(Object.entries(extra).flat()));
}
