/**
 * Apache Dubbo wire constants (Dubbo `ExchangeCodec`, MOSN `dubbo/types.go`).
 *
 * Every frame is a 16-byte header and a body:
 *   magic:2 (0xdabb)  flag:1  status:1  request id:8  body length:4  body
 *
 * flag: 0x80 request (else response), 0x40 two-way (requests that want an answer), 0x20 event
 * (heartbeats; a readonly event tells clients the server is going away), low 5 bits the body's
 * serialization id (2 is hessian2, the only one mosn reads).
 *
 * A hessian2 request body is a sequence of values: dubbo version, service path, service version,
 * method name, parameter type descriptor (`Ljava/lang/String;I`), one value per parameter, attachments map.
 */

export const MAGIC_HIGH = 0xda;
export const MAGIC_LOW = 0xbb;
export const HEADER_LENGTH = 16;

/** Byte offsets in the header. */
export const FLAG_OFFSET = 2;
export const STATUS_OFFSET = 3;
export const ID_OFFSET = 4;
export const BODY_LENGTH_OFFSET = 12;

/** Flag bits. */
export const FLAG_REQUEST = 0x80;
export const FLAG_TWO_WAY = 0x40;
export const FLAG_EVENT = 0x20;
export const SERIALIZATION_MASK = 0x1f;

/** The serialization id of hessian2. */
export const SERIALIZATION_HESSIAN2 = 2;

/** Dubbo response statuses (`org.apache.dubbo.remoting.exchange.Response`). */
export const DubboStatus = {
  OK: 20,
  CLIENT_TIMEOUT: 30,
  SERVER_TIMEOUT: 31,
  BAD_REQUEST: 40,
  BAD_RESPONSE: 50,
  SERVICE_NOT_FOUND: 60,
  SERVICE_ERROR: 70,
  SERVER_ERROR: 80,
  CLIENT_ERROR: 90,
  SERVER_THREADPOOL_EXHAUSTED_ERROR: 100,
} as const;

/** The first value of a status-20 response body: what follows it (`DubboCodec`). */
export const ResponseBodyType = {
  WITH_EXCEPTION: 0,
  VALUE: 1,
  NULL_VALUE: 2,
  WITH_EXCEPTION_WITH_ATTACHMENTS: 3,
  VALUE_WITH_ATTACHMENTS: 4,
  NULL_VALUE_WITH_ATTACHMENTS: 5,
} as const;

/** hessian2 `null`: the body of heartbeats and their answers. */
export const HESSIAN_NULL = 0x4e;
/** hessian2 compact string "R": the body of a readonly event (the server is going away). */
export const READONLY_EVENT_BODY: readonly number[] = [0x01, 0x52];

/** Request ids are 8 bytes on the wire; the codec contract carries numbers, exact up to this. */
export const MAX_REQUEST_ID = Number.MAX_SAFE_INTEGER;
export const TWO_32 = 0x1_0000_0000;

/** The header map keys read from the leading values of a hessian2 request body. */
export const KEY_DUBBO = 'dubbo';
export const KEY_SERVICE = 'service';
export const KEY_VERSION = 'version';
export const KEY_METHOD = 'method';
export const KEY_GROUP = 'group';
export const LEADING_KEYS: readonly string[] = [KEY_DUBBO, KEY_SERVICE, KEY_VERSION, KEY_METHOD];
