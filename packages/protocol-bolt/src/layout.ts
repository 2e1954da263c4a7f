import {
  CMD_TYPE_RESPONSE,
  PROTO_V1,
  V1_REQUEST_HEADER_LENGTH,
  V1_RESPONSE_HEADER_LENGTH,
  V2_REQUEST_HEADER_LENGTH,
  V2_RESPONSE_HEADER_LENGTH,
  type BoltVersion,
} from './types.js';

/** Byte offsets of the fixed header fields for one version and one direction; -1 where absent. */
export interface Layout {
  readonly version: BoltVersion;
  readonly kind: 'request' | 'response';
  readonly ver1: number;
  readonly cmdType: number;
  readonly cmdCode: number;
  readonly ver2: number;
  readonly requestId: number;
  readonly codec: number;
  readonly switchCode: number;
  readonly timeout: number;
  readonly status: number;
  readonly classLen: number;
  readonly headerLen: number;
  readonly contentLen: number;
  /** Length of the fixed header; the class name starts here. */
  readonly size: number;
}

function layout(version: BoltVersion, kind: 'request' | 'response'): Layout {
  // v2 inserts ver1 after proto (+1 from cmdType on) and switch after codec (+2 from there on).
  const a = version === 1 ? 0 : 1;
  const b = version === 1 ? 0 : 2;
  const request = kind === 'request';
  const lengths = (request ? 14 : 12) + b;
  return {
    version,
    kind,
    ver1: version === 1 ? -1 : 1,
    cmdType: 1 + a,
    cmdCode: 2 + a,
    ver2: 4 + a,
    requestId: 5 + a,
    codec: 9 + a,
    switchCode: version === 1 ? -1 : 11,
    timeout: request ? 10 + b : -1,
    status: request ? -1 : 10 + b,
    classLen: lengths,
    headerLen: lengths + 2,
    contentLen: lengths + 4,
    size: version === 1
      ? (request ? V1_REQUEST_HEADER_LENGTH : V1_RESPONSE_HEADER_LENGTH)
      : (request ? V2_REQUEST_HEADER_LENGTH : V2_RESPONSE_HEADER_LENGTH),
  };
}

const V1_REQUEST = layout(1, 'request');
const V1_RESPONSE = layout(1, 'response');
const V2_REQUEST = layout(2, 'request');
const V2_RESPONSE = layout(2, 'response');

/** The layout for a protocol byte and a command type (the caller has checked both). */
export function layoutOf(proto: number, cmdType: number): Layout {
  if (proto === PROTO_V1) return cmdType === CMD_TYPE_RESPONSE ? V1_RESPONSE : V1_REQUEST;
  return cmdType === CMD_TYPE_RESPONSE ? V2_RESPONSE : V2_REQUEST;
}
