/**
 * The example protocol's wire constants. Every frame is a 17-byte fixed header, then the header section,
 * then the body. Numbers are big-endian.
 *
 *   offset  size  field
 *        0     2  magic 'XE' (0x58 0x45)
 *        2     1  version, 1
 *        3     1  type: 1 request, 2 response
 *        4     1  flags: bit 0 one-way (requests only), bit 1 heartbeat; other bits 0
 *        5     4  request id (u32)
 *        9     2  status (u16; responses only, 0 in requests)
 *       11     2  header length (u16)
 *       13     4  body length (u32)
 *       17        header: UTF-8 `key=value\n` lines; then the body, opaque bytes
 */

export const MAGIC = Buffer.from('XE', 'latin1');
export const VERSION = 1;

export const TYPE_REQUEST = 1;
export const TYPE_RESPONSE = 2;

export const FLAG_ONEWAY = 0x01;
export const FLAG_HEARTBEAT = 0x02;
export const KNOWN_FLAGS = FLAG_ONEWAY | FLAG_HEARTBEAT;

/** Byte offsets of the fixed header fields. */
export const OFFSET = {
  version: 2,
  type: 3,
  flags: 4,
  requestId: 5,
  status: 9,
  headerLength: 11,
  bodyLength: 13,
} as const;

/** Length of the fixed header; the header section starts here. */
export const FIXED_HEADER_LENGTH = 17;
export const MAX_HEADER_LENGTH = 0xffff;

/** The request header that carries the request's timeout, in milliseconds (decimal digits). */
export const TIMEOUT_HEADER = 'timeout';
/** The response header in which mosn's own error responses carry their reason. */
export const MESSAGE_HEADER = 'message';

/** Response statuses. A server may send others; they map to HTTP 500. */
export const ExampleStatus = {
  OK: 0,
  /** The server's application failed. */
  ERROR: 1,
  /** Nothing serves the request (no route). */
  NOT_FOUND: 2,
  /** No upstream could be reached, or it went away. */
  UNAVAILABLE: 3,
  /** Too many requests in flight. */
  BUSY: 4,
  TIMEOUT: 5,
  /** The request's bytes were malformed. */
  BAD_REQUEST: 6,
  INTERNAL: 7,
} as const;
