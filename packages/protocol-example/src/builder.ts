import { SimpleHeaderMap } from '@mosn/protocol';
import { writeFrame } from './encoder.js';
import { ExampleFrame } from './frame.js';
import { serializeHeader } from './header.js';
import { FIXED_HEADER_LENGTH, FLAG_HEARTBEAT, FLAG_ONEWAY, TIMEOUT_HEADER, TYPE_REQUEST, TYPE_RESPONSE } from './types.js';

/** Header pairs, as an object or as entries (`[['service', 'echo']]`, a Map). */
export type HeaderInit = Readonly<Record<string, string>> | Iterable<readonly [string, string]>;

/** Every field of a frame to build. Defaults: not one-way, not a heartbeat, status 0, no header, empty body. */
export interface ExampleFrameSpec {
  readonly kind: 'request' | 'response';
  readonly requestId: number;
  /** A request that expects no response. */
  readonly oneWay?: boolean;
  readonly heartbeat?: boolean;
  /** Responses: the status (`ExampleStatus`). */
  readonly status?: number;
  readonly header?: HeaderInit;
  /** Opaque bytes; a string is sent as UTF-8. */
  readonly body?: Buffer | string;
}

const EMPTY = Buffer.alloc(0);

function entriesOf(header: HeaderInit | undefined): Iterable<readonly [string, string]> {
  if (header === undefined) return [];
  return Symbol.iterator in header ? (header as Iterable<readonly [string, string]>) : Object.entries(header);
}

/** Build a frame. Throws a RangeError on a header pair the wire cannot carry (see `serializeHeader`). */
export function buildFrame(spec: ExampleFrameSpec): ExampleFrame {
  const request = spec.kind === 'request';
  const header = new SimpleHeaderMap(entriesOf(spec.header));
  const headerBytes = serializeHeader(header);
  const body = typeof spec.body === 'string' ? Buffer.from(spec.body, 'utf8') : spec.body ?? EMPTY;
  const flags = (request && spec.oneWay === true ? FLAG_ONEWAY : 0) | (spec.heartbeat === true ? FLAG_HEARTBEAT : 0);
  const fields = { type: request ? TYPE_REQUEST : TYPE_RESPONSE, flags, requestId: spec.requestId, status: request ? 0 : spec.status ?? 0 };
  const raw = writeFrame(fields, headerBytes, body);
  return new ExampleFrame(raw, spec.requestId >>> 0, header, raw.subarray(FIXED_HEADER_LENGTH + headerBytes.length));
}

export interface RequestSpec {
  readonly requestId: number;
  readonly header?: HeaderInit;
  readonly body?: Buffer | string;
  readonly oneWay?: boolean;
  /** Sent as the `timeout` header: how long mosn waits for the upstream's answer. */
  readonly timeoutMs?: number;
}

/** A client's request. */
export function buildRequest(spec: RequestSpec): ExampleFrame {
  const header = [...entriesOf(spec.header)];
  if (spec.timeoutMs !== undefined) header.push([TIMEOUT_HEADER, String(spec.timeoutMs)]);
  return buildFrame({ ...spec, kind: 'request', header });
}

export interface ResponseSpec {
  /** Default 0, `ExampleStatus.OK`. */
  readonly status?: number;
  readonly header?: HeaderInit;
  readonly body?: Buffer | string;
}

/** A server's answer to the request with this id. */
export function buildResponse(requestId: number, spec: ResponseSpec = {}): ExampleFrame {
  return buildFrame({ ...spec, kind: 'response', requestId });
}
