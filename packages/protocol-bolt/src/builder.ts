import { BoltFrame } from './frame.js';
import { BoltHeaderMap } from './header-map.js';
import { layoutOf } from './layout.js';
import { allocFrame, writeSections } from './encoder.js';
import {
  CMD_CODE_REQUEST,
  CMD_CODE_RESPONSE,
  CMD_TYPE_ONEWAY,
  CMD_TYPE_REQUEST,
  CMD_TYPE_RESPONSE,
  CMD_VERSION,
  CODEC_HESSIAN2,
  PROTO_V1,
  PROTO_V2,
  SWITCH_CRC,
  V2_VER1_CRC,
  V2_VER1_PLAIN,
  type BoltVersion,
} from './types.js';

/** The fields of a Bolt command to build. Defaults: hessian2, no timeout (-1), status 0, no CRC. */
export interface BoltFrameSpec {
  readonly version: BoltVersion;
  readonly kind: 'request' | 'response';
  readonly requestId: number;
  /** Default: RPC request (1) or RPC response (2); 0 is a heartbeat. */
  readonly cmdCode?: number;
  /** A request that expects no response (cmd type 2). */
  readonly oneWay?: boolean;
  /** v2 only: ver1 2 with the CRC switch on, so a CRC32 trailer is written. */
  readonly crc?: boolean;
  readonly codec?: number;
  /** Requests: the timeout field in milliseconds (-1 for none). */
  readonly timeout?: number;
  /** Responses: the Bolt response status. */
  readonly status?: number;
  readonly className?: string;
  readonly header?: Iterable<readonly [string, string]>;
  /** The content, already serialized (hessian2, protobuf): this package never encodes it. */
  readonly body?: Buffer;
}

const EMPTY = Buffer.alloc(0);

/** Build a Bolt command: a client's request, a server's response, a heartbeat. */
export function buildFrame(spec: BoltFrameSpec): BoltFrame {
  const request = spec.kind === 'request';
  const cmdType = !request ? CMD_TYPE_RESPONSE : spec.oneWay === true ? CMD_TYPE_ONEWAY : CMD_TYPE_REQUEST;
  const layout = layoutOf(spec.version === 1 ? PROTO_V1 : PROTO_V2, cmdType);
  const crc = spec.version === 2 && spec.crc === true;
  const className = spec.className ? Buffer.from(spec.className) : EMPTY;
  const header = BoltHeaderMap.fromEntries(spec.header ?? []);
  const body = spec.body ?? EMPTY;
  const requestId = spec.requestId >>> 0;

  const out = allocFrame(layout, className.length, header, body.length, crc);
  out[0] = spec.version === 1 ? PROTO_V1 : PROTO_V2;
  if (layout.version === 2) {
    out[layout.ver1] = crc ? V2_VER1_CRC : V2_VER1_PLAIN;
    out[layout.switchCode] = crc ? SWITCH_CRC : 0;
  }
  out[layout.cmdType] = cmdType;
  out.writeUInt16BE(spec.cmdCode ?? (request ? CMD_CODE_REQUEST : CMD_CODE_RESPONSE), layout.cmdCode);
  out[layout.ver2] = CMD_VERSION;
  out.writeUInt32BE(requestId, layout.requestId);
  out[layout.codec] = spec.codec ?? CODEC_HESSIAN2;
  if (request) out.writeInt32BE(spec.timeout ?? -1, layout.timeout);
  else out.writeUInt16BE(spec.status ?? 0, layout.status);
  writeSections(out, layout, className, header, body, crc);
  return new BoltFrame(out, layout, requestId, header);
}
