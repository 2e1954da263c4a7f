import type { InternalStatus } from '@mosn/protocol';
import { DubboStatus } from './types.js';

/**
 * The Dubbo response status and default message mosn answers with when it answers a request itself.
 * MOSN maps its internal code (an HTTP status) in `dubbo/types.go` `dubboMosnStatusMap`, and its proxy
 * turns stream reset reasons into those codes in `types/constant.go`: a failed connection and every
 * kind of reset become 502 (no healthy upstream), so SERVICE_NOT_FOUND; 500 is SERVICE_ERROR. The
 * message is MOSN's too (`code|reason`), used when the caller gives none.
 */
export const DUBBO_HIJACK: Readonly<Record<InternalStatus, { readonly status: number; readonly message: string }>> = {
  no_route: { status: DubboStatus.SERVICE_NOT_FOUND, message: '404|router unavailable' },
  no_healthy_upstream: { status: DubboStatus.SERVICE_NOT_FOUND, message: '502|no health upstream' },
  connect_failed: { status: DubboStatus.SERVICE_NOT_FOUND, message: '502|no health upstream' },
  upstream_reset: { status: DubboStatus.SERVICE_NOT_FOUND, message: '502|no health upstream' },
  upstream_overflow: { status: DubboStatus.BAD_REQUEST, message: '503|upstream overflow' },
  timeout: { status: DubboStatus.CLIENT_TIMEOUT, message: '504|timeout' },
  codec_error: { status: DubboStatus.SERVICE_ERROR, message: '0|codec exception' },
  internal_error: { status: DubboStatus.SERVICE_ERROR, message: '500|internal error' },
};

/** The HTTP status for a Dubbo response status, for metrics and access logs. */
export function dubboStatusToHttp(status: number): number {
  switch (status) {
    case DubboStatus.OK:
      return 200;
    case DubboStatus.CLIENT_TIMEOUT:
    case DubboStatus.SERVER_TIMEOUT:
      return 504;
    case DubboStatus.SERVICE_NOT_FOUND:
      return 404;
    case DubboStatus.SERVER_THREADPOOL_EXHAUSTED_ERROR:
      return 503;
    default:
      return 500;
  }
}
