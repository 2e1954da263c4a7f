import type { InternalStatus } from '@mosn/protocol';
import type { HttpHeaders } from '../http-headers.js';

/**
 * The gRPC status of a local reply to a gRPC request. Envoy's HTTP-to-gRPC mapping (404 → UNIMPLEMENTED,
 * 502/503 → UNAVAILABLE), except that a route timeout says DEADLINE_EXCEEDED.
 */
const GRPC_STATUS: Readonly<Record<InternalStatus, number>> = {
  no_route: 12, // UNIMPLEMENTED
  no_healthy_upstream: 14, // UNAVAILABLE
  connect_failed: 14,
  upstream_reset: 14,
  upstream_overflow: 14,
  timeout: 4, // DEADLINE_EXCEEDED
  codec_error: 13, // INTERNAL
  internal_error: 13,
};

export function isGrpc(headers: HttpHeaders): boolean {
  return headers.get('content-type')?.startsWith('application/grpc') ?? false;
}

/**
 * A gRPC "trailers-only" reply: HTTP 200 with the status in the only header block, the form gRPC
 * clients read a failure from (a bare HTTP 502 would lose the message).
 */
export function grpcLocalReply(status: InternalStatus, message: string | undefined): Record<string, string | number> {
  const out: Record<string, string | number> = {
    ':status': 200,
    'content-type': 'application/grpc',
    'grpc-status': GRPC_STATUS[status],
  };
  if (message !== undefined) out['grpc-message'] = percentEncode(message);
  return out;
}

/** gRPC's percent-encoding of `grpc-message`: bytes outside printable ASCII, and `%`. */
function percentEncode(text: string): string {
  let out = '';
  for (const b of Buffer.from(text)) {
    out += b < 0x20 || b > 0x7e || b === 0x25 ? '%' + b.toString(16).toUpperCase().padStart(2, '0') : String.fromCharCode(b);
  }
  return out;
}
