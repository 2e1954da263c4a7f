import type { FuzzTarget } from './harness.js';
import { randomString } from './hessian.js';
import type { Field } from './mutate.js';
import type { Rng } from './prng.js';
import { xprotocolCheck, type BufferLike, type CodecLike } from './xprotocol.js';

/**
 * The example protocol (`@mosn/protocol-example`, the template for third-party codecs). Mutates the fixed
 * header (magic, version, type, flags, id, status, header and body lengths) and the `key=value\n` header
 * section (empty keys, `=` and newlines in odd places, duplicate keys, bytes that are not UTF-8).
 */

export interface ExampleDeps {
  codec: CodecLike;
  newBuffer: (exclusive: boolean) => BufferLike;
  isDecodeError: (x: unknown) => boolean;
  maxFrameSize?: number;
}

const FIXED = 17;

function frame(type: number, flags: number, id: number, status: number, header: Buffer, body: Buffer): Buffer {
  const h = Buffer.alloc(FIXED);
  h.write('XE', 0, 'latin1');
  h[2] = 1;
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(id >>> 0, 5);
  h.writeUInt16BE(status, 9);
  h.writeUInt16BE(Math.min(header.length, 0xffff), 11);
  h.writeUInt32BE(body.length, 13);
  return Buffer.concat([h, header.subarray(0, 0xffff), body]);
}

const SEEDS = [
  frame(1, 0, 7, 0, Buffer.from('service=echo\n'), Buffer.from('hi')),
  frame(1, 1, 8, 0, Buffer.alloc(0), Buffer.from('x')),
  frame(2, 0, 7, 0, Buffer.alloc(0), Buffer.from('hi')),
  frame(1, 2, 1, 0, Buffer.alloc(0), Buffer.alloc(0)),
  frame(2, 2, 1, 0, Buffer.alloc(0), Buffer.alloc(0)),
  frame(1, 0, 9, 0, Buffer.from('service=a\ntimeout=100\nx=y=z\n'), Buffer.alloc(0)),
];

function headerSection(rng: Rng): Buffer {
  let text = '';
  for (let n = rng.int(6); n > 0; n--) {
    const key = rng.chance(0.5) ? rng.pick(['service', 'timeout', 'method', '']) : randomString(rng);
    const value = rng.chance(0.3) ? rng.pick(['1', '99999999999', '-1', '0x10', '']) : randomString(rng);
    text += `${key}${rng.chance(0.95) ? '=' : ''}${value}${rng.chance(0.95) ? '\n' : ''}`;
  }
  return Buffer.from(text, rng.chance(0.9) ? 'utf8' : 'latin1');
}

function generate(rng: Rng): Buffer {
  const type = rng.chance(0.95) ? rng.pick([1, 2]) : rng.int(256);
  const flags = rng.chance(0.9) ? rng.int(4) : rng.int(256);
  return frame(type, flags, rng.u32(), rng.int(10), headerSection(rng), rng.bytes(rng.int(32)));
}

function fields(b: Buffer): Field[] {
  return [
    { at: 0, width: 2, name: 'magic' },
    { at: 2, width: 1, name: 'version' },
    { at: 3, width: 1, name: 'type' },
    { at: 4, width: 1, name: 'flags' },
    { at: 5, width: 4, name: 'request id' },
    { at: 9, width: 2, name: 'status' },
    { at: 11, width: 2, name: 'header length' },
    { at: 13, width: 4, name: 'body length' },
    ...(b.length > FIXED ? [{ at: FIXED + (b.length - FIXED) % 8, width: 1 as const, name: 'header byte' }] : []),
  ];
}

function fixup(b: Buffer): Buffer {
  if (b.length < FIXED) return b;
  const body = b.length - FIXED - b.readUInt16BE(11);
  if (body >= 0) b.writeUInt32BE(body, 13);
  return b;
}

/** The header section replaced, or one of its bytes made a separator. */
function mutate(rng: Rng, b: Buffer): Buffer {
  if (b.length < FIXED) return b;
  const len = b.readUInt16BE(11);
  if (FIXED + len > b.length) return b;
  if (rng.chance(0.5) && len > 0) {
    const out = Buffer.from(b);
    out[FIXED + rng.int(len)] = rng.pick([0x3d, 0x0a, 0x00, 0xff, 0xc3]);
    return out;
  }
  const header = headerSection(rng);
  const out = Buffer.concat([b.subarray(0, FIXED), header, b.subarray(FIXED + len)]);
  out.writeUInt16BE(header.length, 11);
  return fixup(out);
}

export function exampleTarget(d: ExampleDeps): FuzzTarget {
  const check = xprotocolCheck({
    codec: d.codec,
    newBuffer: d.newBuffer,
    isDecodeError: d.isDecodeError,
    maxFrameSize: d.maxFrameSize ?? 64 * 1024,
    maxRequestId: 0xffffffff,
  });
  return { name: 'example', seeds: SEEDS, fields, generate, mutate, fixup, check };
}
