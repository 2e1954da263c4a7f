import { DubboFrame } from './frame.js';
import { hessianStrings, hessianValues } from './invocation.js';
import { checkRequestId, writeRequestId } from './request-id.js';
import {
  BODY_LENGTH_OFFSET,
  DubboStatus,
  FLAG_EVENT,
  FLAG_OFFSET,
  FLAG_REQUEST,
  FLAG_TWO_WAY,
  HEADER_LENGTH,
  MAGIC_HIGH,
  MAGIC_LOW,
  ResponseBodyType,
  SERIALIZATION_HESSIAN2,
  SERIALIZATION_MASK,
  STATUS_OFFSET,
} from './types.js';

/** The header fields of a Dubbo frame to build. Defaults: hessian2, two-way requests, status 20 OK. */
export interface DubboFrameSpec {
  readonly kind: 'request' | 'response';
  /** A whole number from 0 to 2^53 - 1. */
  readonly requestId: number;
  /** Requests: whether an answer is wanted (default true; false is a one-way request). */
  readonly twoWay?: boolean;
  /** A heartbeat, its answer, or a readonly event. */
  readonly event?: boolean;
  readonly serializationId?: number;
  /** Responses: the Dubbo status. */
  readonly status?: number;
  /** The body, already serialized (see encodeRequestBody, encodeResponseBody, encodeErrorBody). */
  readonly body?: Buffer;
}

const EMPTY = Buffer.alloc(0);

/** Build a Dubbo frame: a client's request, a server's response, a heartbeat. */
export function buildFrame(spec: DubboFrameSpec): DubboFrame {
  const request = spec.kind === 'request';
  const body = spec.body ?? EMPTY;
  const requestId = checkRequestId(spec.requestId);
  const out = Buffer.allocUnsafe(HEADER_LENGTH + body.length);
  out[0] = MAGIC_HIGH;
  out[1] = MAGIC_LOW;
  out[FLAG_OFFSET] =
    (request ? FLAG_REQUEST : 0) |
    (request && spec.twoWay !== false ? FLAG_TWO_WAY : 0) |
    (spec.event === true ? FLAG_EVENT : 0) |
    ((spec.serializationId ?? SERIALIZATION_HESSIAN2) & SERIALIZATION_MASK);
  out[STATUS_OFFSET] = request ? 0 : (spec.status ?? DubboStatus.OK);
  writeRequestId(out, requestId);
  out.writeUInt32BE(body.length, BODY_LENGTH_OFFSET);
  body.copy(out, HEADER_LENGTH);
  return new DubboFrame(out, requestId);
}

/** An invocation to serialize as a hessian2 request body. */
export interface DubboInvocation {
  /** The Dubbo protocol version (default '2.0.2'). */
  readonly dubboVersion?: string;
  /** The service path, usually the interface name. */
  readonly service: string;
  /** The service version (default none: hessian2 null). */
  readonly version?: string;
  readonly method: string;
  /** The JVM descriptor of the parameter types, e.g. `Ljava/lang/String;I` (default ''). */
  readonly parameterTypes?: string;
  /** One value per parameter, as hessian.js writes them (js-to-java wrappers for typed Java values). */
  readonly args?: readonly unknown[];
  /** The attachments map (`path`, `interface`, `group`, `timeout`, ...). */
  readonly attachments?: Readonly<Record<string, unknown>>;
}

/** A hessian2 request body, as Dubbo's `DubboCodec.encodeRequestData` writes it. */
export function encodeRequestBody(invocation: DubboInvocation): Buffer {
  const { service, method, args = [], attachments = {} } = invocation;
  return hessianValues([
    invocation.dubboVersion ?? '2.0.2',
    service,
    invocation.version ?? null,
    method,
    invocation.parameterTypes ?? '',
    ...args,
    { $class: 'java.util.HashMap', $: attachments },
  ]);
}

/** A hessian2 body for a status-20 response: the value (null for none), with attachments if given. */
export function encodeResponseBody(value: unknown, attachments?: Readonly<Record<string, unknown>>): Buffer {
  const none = value === null || value === undefined;
  if (attachments === undefined) {
    return hessianValues(none ? [ResponseBodyType.NULL_VALUE] : [ResponseBodyType.VALUE, value]);
  }
  const map = { $class: 'java.util.HashMap', $: attachments };
  return hessianValues(none ? [ResponseBodyType.NULL_VALUE_WITH_ATTACHMENTS, map] : [ResponseBodyType.VALUE_WITH_ATTACHMENTS, value, map]);
}

/** The body of a response whose status is not 20: the error message as a hessian2 string. */
export function encodeErrorBody(message: string): Buffer {
  return hessianStrings([message]);
}
