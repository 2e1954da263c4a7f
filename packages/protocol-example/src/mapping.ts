import type { InternalStatus } from '@mosn/protocol';
import { ExampleStatus } from './types.js';

/** The status of the response mosn answers with when it answers a request itself. */
export const EXAMPLE_HIJACK_STATUS: Readonly<Record<InternalStatus, number>> = {
  no_route: ExampleStatus.NOT_FOUND,
  no_healthy_upstream: ExampleStatus.UNAVAILABLE,
  connect_failed: ExampleStatus.UNAVAILABLE,
  upstream_reset: ExampleStatus.UNAVAILABLE,
  upstream_overflow: ExampleStatus.BUSY,
  timeout: ExampleStatus.TIMEOUT,
  codec_error: ExampleStatus.BAD_REQUEST,
  internal_error: ExampleStatus.INTERNAL,
};

const HTTP_STATUS: Readonly<Record<number, number>> = {
  [ExampleStatus.OK]: 200,
  [ExampleStatus.ERROR]: 500,
  [ExampleStatus.NOT_FOUND]: 404,
  [ExampleStatus.UNAVAILABLE]: 502,
  [ExampleStatus.BUSY]: 503,
  [ExampleStatus.TIMEOUT]: 504,
  [ExampleStatus.BAD_REQUEST]: 400,
  [ExampleStatus.INTERNAL]: 500,
};

/** The HTTP status for a response status, for metrics and access logs; an unknown status is 500. */
export function exampleStatusToHttp(status: number): number {
  return HTTP_STATUS[status] ?? 500;
}
