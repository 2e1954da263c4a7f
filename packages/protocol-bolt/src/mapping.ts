import type { InternalStatus } from '@mosn/protocol';
import { BoltStatus } from './types.js';

/**
 * The Bolt response status mosn answers with when it answers a request itself. MOSN maps its internal
 * code (an HTTP status) in `bolt/protocol.go` `Mapping`, and its proxy turns stream reset reasons into
 * those codes in `types/constant.go`: connection failures and resets become 502, which Bolt answers
 * with NO_PROCESSOR; a 500 falls to the default, UNKNOWN.
 */
export const BOLT_HIJACK_STATUS: Readonly<Record<InternalStatus, number>> = {
  no_route: BoltStatus.NO_PROCESSOR,
  no_healthy_upstream: BoltStatus.NO_PROCESSOR,
  connect_failed: BoltStatus.NO_PROCESSOR,
  upstream_reset: BoltStatus.NO_PROCESSOR,
  upstream_overflow: BoltStatus.SERVER_THREADPOOL_BUSY,
  timeout: BoltStatus.TIMEOUT,
  codec_error: BoltStatus.CODEC_EXCEPTION,
  internal_error: BoltStatus.UNKNOWN,
};

/** The HTTP status for a Bolt response status (MOSN `BoltStatusMapping`), for metrics and access logs. */
export function boltStatusToHttp(status: number): number {
  switch (status) {
    case BoltStatus.SUCCESS:
      return 200;
    case BoltStatus.SERVER_THREADPOOL_BUSY:
      return 503;
    case BoltStatus.TIMEOUT:
      return 504;
    case BoltStatus.CONNECTION_CLOSED:
      return 502;
    default:
      return 500;
  }
}
