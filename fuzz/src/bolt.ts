import { crc32 } from 'node:zlib';
import type { FuzzTarget } from './harness.js';
import { randomString } from './hessian.js';
import type { Field } from './mutate.js';
import type { Rng } from './prng.js';
import { Violation, xprotocolCheck, type BufferLike, type CodecLike, type FrameLike } from './xprotocol.js';

/**
 * SOFARPC Bolt v1 and v2 (with and without the CRC32 trailer). Mutates the fixed header (protocol, ver1,
 * cmd type and code, request id, codec, switch, timeout, status), the three section lengths (class name,
 * header map, content), the header map's own int32 string lengths (Java's null -1 included), header map
 * entries (keys and values of every kind, duplicates), and keeps the CRC32 right half the time so the header
 * walk is reached. Each frame is routed (`service`), its header map changed and re-encoded, given a new id.
 */

export interface BoltDeps {
  codec: CodecLike;
  newBuffer: (exclusive: boolean) => BufferLike;
  isDecodeError: (x: unknown) => boolean;
  seeds: readonly Buffer[];
  maxFrameSize?: number;
}

interface Lay {
  v2: boolean;
  request: boolean;
  size: number;
  classLen: number;
  headerLen: number;
  contentLen: number;
}

/** The layout of the frame at the start of `b`, by its protocol and cmd type bytes (undefined: not Bolt-like). */
function layout(b: Buffer): Lay | undefined {
  const proto = b[0];
  if (proto !== 1 && proto !== 2) return undefined;
  const v2 = proto === 2;
  const request = b[v2 ? 2 : 1] !== 0;
  const lengths = (request ? 14 : 12) + (v2 ? 2 : 0);
  return { v2, request, size: lengths + 8, classLen: lengths, headerLen: lengths + 2, contentLen: lengths + 4 };
}

const hasCrc = (b: Buffer, l: Lay) => l.v2 && b[1] === 2 && ((b[11] ?? 0) & 1) !== 0;

function fields(b: Buffer): Field[] {
  const l = layout(b);
  if (l === undefined) return [{ at: 0, width: 1, name: 'proto' }];
  const a = l.v2 ? 1 : 0;
  const f: Field[] = [
    { at: 0, width: 1, name: 'proto' },
    { at: 1 + a, width: 1, name: 'cmd type' },
    { at: 2 + a, width: 2, name: 'cmd code' },
    { at: 4 + a, width: 1, name: 'ver2' },
    { at: 5 + a, width: 4, name: 'request id' },
    { at: 9 + a, width: 1, name: 'codec' },
    { at: l.request ? 10 + 2 * a : 10 + 2 * a, width: l.request ? 4 : 2, name: l.request ? 'timeout' : 'status' },
    { at: l.classLen, width: 2, name: 'class length' },
    { at: l.headerLen, width: 2, name: 'header length' },
    { at: l.contentLen, width: 4, name: 'content length' },
  ];
  if (l.v2) f.push({ at: 1, width: 1, name: 'ver1' }, { at: 11, width: 1, name: 'switch' });
  // the header map's string lengths
  if (b.length >= l.size) {
    let at = l.size + b.readUInt16BE(l.classLen);
    const end = Math.min(b.length, at + b.readUInt16BE(l.headerLen));
    for (let i = 0; i < 32 && at + 4 <= end; i++) {
      f.push({ at, width: 4, name: 'header string length' });
      const n = b.readUInt32BE(at);
      at += 4 + (n === 0xffffffff ? 0 : n);
    }
  }
  return f;
}

/** Length fields (content length, CRC32) made to agree with the bytes, when the class and header lengths fit. */
function fixup(b: Buffer): Buffer {
  const l = layout(b);
  if (l === undefined || b.length < l.size) return b;
  const crc = hasCrc(b, l);
  const content = b.length - l.size - b.readUInt16BE(l.classLen) - b.readUInt16BE(l.headerLen) - (crc ? 4 : 0);
  if (content < 0) return b;
  b.writeUInt32BE(content, l.contentLen);
  if (crc) b.writeUInt32BE(crc32(b.subarray(0, b.length - 4)), b.length - 4);
  return b;
}

const KEYS = ['service', 'sofa_head_target_service', 'sofa_head_method_name', 'rpc_trace_context.sofaTraceId', '', 'service'];

function headerSection(rng: Rng): Buffer {
  const parts: Buffer[] = [];
  const s = (text: string | null) => {
    if (text === null) return Buffer.from([0xff, 0xff, 0xff, 0xff]);
    const bytes = Buffer.from(text, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    return Buffer.concat([len, bytes]);
  };
  for (let n = rng.int(rng.chance(0.9) ? 6 : 200); n > 0; n--) {
    parts.push(s(rng.chance(0.05) ? null : rng.chance(0.6) ? rng.pick(KEYS) : randomString(rng)));
    parts.push(s(rng.chance(0.05) ? null : randomString(rng)));
  }
  const out = Buffer.concat(parts);
  return out.length > 0xffff ? out.subarray(0, 0xffff) : out;
}

function build(rng: Rng, v2: boolean, crc: boolean, cmdType: number, cmdCode: number, header: Buffer, className: Buffer, content: Buffer): Buffer {
  const request = cmdType !== 0;
  const l = layout(Buffer.from([v2 ? 2 : 1, 0, cmdType]))!;
  const head = Buffer.alloc(l.size);
  const a = v2 ? 1 : 0;
  head[0] = v2 ? 2 : 1;
  if (v2) {
    head[1] = crc ? 2 : 1;
    head[11] = crc ? 1 : 0;
  }
  head[1 + a] = cmdType;
  head.writeUInt16BE(cmdCode, 2 + a);
  head[4 + a] = 1;
  head.writeUInt32BE(rng.u32(), 5 + a);
  head[9 + a] = rng.pick([1, 11]);
  if (request) head.writeInt32BE(rng.pick([-1, 0, 3000, 0x7fffffff]), 10 + 2 * a);
  else head.writeUInt16BE(rng.pick([0, 1, 8, 16, 0xffff]), 10 + 2 * a);
  head.writeUInt16BE(className.length, l.classLen);
  head.writeUInt16BE(header.length, l.headerLen);
  head.writeUInt32BE(content.length, l.contentLen);
  const out = Buffer.concat([head, className, header, content, crc ? Buffer.alloc(4) : Buffer.alloc(0)]);
  if (crc) out.writeUInt32BE(crc32(out.subarray(0, out.length - 4)), out.length - 4);
  return out;
}

function generate(rng: Rng): Buffer {
  const v2 = rng.chance(0.4);
  const cmdType = rng.pick([0, 1, 1, 2]);
  const cmdCode = rng.chance(0.1) ? rng.pick([0, 3, 4]) : cmdType === 0 ? 2 : 1;
  const className = Buffer.from(rng.pick(['com.alipay.sofa.rpc.core.request.SofaRequest', '', randomString(rng)]));
  return build(rng, v2, v2 && rng.chance(0.5), cmdType, cmdCode, headerSection(rng), className, rng.bytes(rng.int(64)));
}

/** The header map replaced by a generated one (lengths and CRC32 made right). */
function mutate(rng: Rng, b: Buffer): Buffer {
  const l = layout(b);
  if (l === undefined || b.length < l.size) return b;
  const classLen = b.readUInt16BE(l.classLen);
  const start = l.size + classLen;
  const oldLen = b.readUInt16BE(l.headerLen);
  if (start + oldLen > b.length) return b;
  const header = headerSection(rng);
  const out = Buffer.concat([b.subarray(0, start), header, b.subarray(start + oldLen)]);
  out.writeUInt16BE(header.length, l.headerLen);
  return fixup(out);
}

export function boltTarget(d: BoltDeps): FuzzTarget {
  const check = xprotocolCheck({
    codec: d.codec,
    newBuffer: d.newBuffer,
    isDecodeError: d.isDecodeError,
    maxFrameSize: d.maxFrameSize ?? 1 << 20,
    maxRequestId: 0xffffffff,
    exercise(f, checker) {
      // a filter changing the header map: the section is re-serialized
      f.header.set('service', 'com.example.Fuzzed:1.0');
      let bytes: Buffer;
      try {
        bytes = Buffer.concat(d.codec.encode(f));
      } catch (err) {
        // a header map grown over Bolt's 16-bit length: the encoder's documented refusal
        if ((err as { code?: string }).code === 'MOSN_ERR_BOLT_FRAME_TOO_LARGE') return;
        throw err;
      }
      const again = checker.decodeOne(bytes);
      if (again.header.get('service') !== 'com.example.Fuzzed:1.0') throw new Violation('a rewritten header map lost service');
      if (!again.body.equals(f.body)) throw new Violation('a rewritten header map changed the content');
    },
  });
  return { name: 'bolt', seeds: d.seeds, fields, generate, mutate, fixup, check };
}
