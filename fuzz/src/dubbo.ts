import type { FuzzTarget } from './harness.js';
import { hostile, map, randomString, str, value } from './hessian.js';
import type { Field } from './mutate.js';
import type { Rng } from './prng.js';
import { Violation, xprotocolCheck, type BufferLike, type CodecLike, type FrameLike } from './xprotocol.js';

/**
 * Dubbo with hessian2 bodies. Mutates the 16-byte header (flag, status, the 8-byte id, the body length) and
 * the body's hessian2 values: the four leading strings (their length bytes), the parameter descriptor, the
 * arguments and the attachments map, with generated values and hostile ones (huge lengths, deep nesting, bad
 * references). Each frame is then routed as the proxy would: the leading values, an attachment (`group`:
 * hessian.js decodes every argument), a header rewrite (the body is re-serialized) and a new request id.
 */

export interface DubboFrameLike extends FrameLike {
  /** Heartbeats and readonly events: their header map is a plain one, not the body's. */
  readonly event: boolean;
  readonly header: FrameLike['header'] & { readonly error: string | undefined; readonly attachmentsError: string | undefined };
}

export interface DubboDeps {
  codec: CodecLike<DubboFrameLike>;
  newBuffer: (exclusive: boolean) => BufferLike;
  isDecodeError: (x: unknown) => boolean;
  seeds: readonly Buffer[];
  maxFrameSize?: number;
}

const HEADER = 16;
const DESCRIPTORS = ['', 'Ljava/lang/String;', 'I', 'Ljava/lang/Integer;Ljava/lang/Integer;', '[Ljava/lang/String;J', 'Ljava/util/Map;', 'L', 'Q', '[[[', 'Ljava/lang/String'];

function frame(flag: number, status: number, idHigh: number, idLow: number, body: Buffer): Buffer {
  const h = Buffer.alloc(HEADER);
  h[0] = 0xda;
  h[1] = 0xbb;
  h[2] = flag;
  h[3] = status;
  h.writeUInt32BE(idHigh >>> 0, 4);
  h.writeUInt32BE(idLow >>> 0, 8);
  h.writeUInt32BE(body.length, 12);
  return Buffer.concat([h, body]);
}

/** A hessian2 request body: leading strings, descriptor, arguments, attachments (each part sometimes odd). */
function requestBody(rng: Rng): Buffer {
  const parts: Buffer[] = [str(rng.pick(['2.0.2', '2.7.0', randomString(rng)]))];
  parts.push(str(rng.pick(['com.alipay.test.TestService', 'org.apache.dubbo.demo.DemoService', randomString(rng)])));
  parts.push(rng.chance(0.2) ? Buffer.from([0x4e]) : str(rng.pick(['1.0.0', '', randomString(rng)])));
  parts.push(str(rng.pick(['echo', 'sayHello', '$invoke', randomString(rng)])));
  const desc = rng.chance(0.8) ? rng.pick(DESCRIPTORS) : randomString(rng);
  parts.push(rng.chance(0.95) ? str(desc) : value(rng, 1));
  let args = 0;
  for (let i = 0; i < desc.length; i++) if ('LIJZBCDFS['.includes(desc[i]!)) args++;
  for (let i = 0; i < Math.min(args, 6); i++) parts.push(rng.chance(0.1) ? hostile(rng) : value(rng, 2));
  if (rng.chance(0.9)) {
    const known: Array<[string, string]> = [];
    if (rng.chance(0.6)) known.push(['path', 'com.alipay.test.TestService']);
    if (rng.chance(0.5)) known.push(['group', rng.pick(['g1', '', randomString(rng)])]);
    if (rng.chance(0.3)) known.push(['version', '1.0.0']);
    parts.push(rng.chance(0.9) ? map(rng, 2, known) : hostile(rng));
  } else if (rng.chance(0.5)) {
    parts.push(Buffer.from([0x4e]));
  }
  if (rng.chance(0.1)) parts.splice(rng.int(parts.length + 1), 0, hostile(rng));
  return Buffer.concat(parts);
}

function generate(rng: Rng): Buffer {
  const r = rng.int(10);
  const idHigh = rng.chance(0.05) ? rng.pick([0x1fffff, 0x200000, 0xffffffff]) : 0;
  if (r < 7) return frame(rng.pick([0xc2, 0x82, 0xc2, 0xc3, 0xe2, 0xa2, 0xc6]), 0, idHigh, rng.u32(), requestBody(rng));
  if (r < 8) return frame(rng.pick([0xe2, 0x22, 0xa2]), rng.pick([0, 20]), idHigh, rng.u32(), rng.pick([Buffer.from([0x4e]), Buffer.from('R'), Buffer.alloc(0)]));
  return frame(rng.pick([0x02, 0x22, 0x06]), rng.pick([20, 30, 40, 60, 70, 90, 255]), idHigh, rng.u32(), value(rng, 2));
}

/** The offsets of the body's leading hessian2 values (their type/length bytes), as far as they are short strings. */
function leadingOffsets(b: Buffer): number[] {
  const out: number[] = [];
  let at = HEADER;
  for (let i = 0; i < 5 && at < b.length; i++) {
    out.push(at);
    const c = b[at]!;
    if (c < 0x20) at += 1 + c;
    else if (c >= 0x30 && c <= 0x33 && at + 1 < b.length) at += 2 + ((c - 0x30) << 8) + b[at + 1]!;
    else break;
  }
  return out;
}

function fields(b: Buffer): Field[] {
  const f: Field[] = [
    { at: 2, width: 1, name: 'flag' },
    { at: 3, width: 1, name: 'status' },
    { at: 4, width: 4, name: 'id high' },
    { at: 8, width: 4, name: 'id low' },
    { at: 12, width: 4, name: 'body length' },
  ];
  for (const at of leadingOffsets(b)) f.push({ at, width: 1, name: 'leading string length' });
  return f;
}

/** Hessian2 values of the body replaced, inserted or cut, then the body length made right. */
function mutate(rng: Rng, b: Buffer): Buffer {
  if (b.length < HEADER) return b;
  const offsets = leadingOffsets(b);
  const at = rng.chance(0.6) && offsets.length > 0 ? rng.pick(offsets) : HEADER + rng.int(b.length - HEADER + 1);
  const piece = rng.chance(0.5) ? hostile(rng) : rng.chance(0.5) ? value(rng, 2) : str(randomString(rng));
  const cut = rng.chance(0.5) ? 0 : rng.int(8);
  return fixup(Buffer.concat([b.subarray(0, at), piece, b.subarray(Math.min(b.length, at + cut))]));
}

function fixup(b: Buffer): Buffer {
  if (b.length >= HEADER) b.writeUInt32BE(b.length - HEADER, 12);
  return b;
}

export function dubboTarget(d: DubboDeps): FuzzTarget {
  const check = xprotocolCheck<DubboFrameLike>({
    codec: d.codec,
    newBuffer: d.newBuffer,
    isDecodeError: d.isDecodeError,
    maxFrameSize: d.maxFrameSize ?? 1 << 20,
    maxRequestId: Number.MAX_SAFE_INTEGER,
    exercise(f, checker) {
      const h = f.header;
      // what routes read: the leading values, then an attachment (hessian.js decodes the arguments)
      const error = h.error;
      h.get('version');
      h.get('group');
      void h.attachmentsError;
      if (f.kind !== 'request' || f.event) return;
      // what a filter may do: change the map, which rewrites the body
      h.set('service', 'com.example.Fuzzed');
      h.set('x-fuzz', 'é1');
      const again = checker.decodeOne(Buffer.concat(d.codec.encode(f)));
      if (error === undefined && h.attachmentsError === undefined && again.header.get('service') !== 'com.example.Fuzzed') {
        throw new Violation(`a rewritten body reads service ${JSON.stringify(again.header.get('service'))}`);
      }
    },
  });
  return { name: 'dubbo', seeds: d.seeds, fields, generate, mutate, fixup, check };
}

