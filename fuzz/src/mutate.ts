import type { Rng } from './prng.js';

/** A fixed-width big-endian integer field of an input: a length, an id, a flag byte, a type code. */
export interface Field {
  readonly at: number;
  readonly width: 1 | 2 | 4;
  /** What the field is (for reading a crash report). */
  readonly name?: string;
}

/**
 * What a fuzzer knows of its protocol. Generic byte-level mutations run on every input; the structure lets
 * them hit the fields that matter (lengths, ids, flags) with values that matter (0, max, off by one, Java's
 * null length), and `fixup` makes a mutated frame consistent again often enough to reach the deeper code.
 */
export interface Structure {
  /** Seed inputs (golden frames captured from real peers, hand-written heads). */
  readonly seeds: readonly Buffer[];
  /** The interesting fields of one input (computed from its own bytes; may be empty). */
  fields(input: Buffer): Field[];
  /** A freshly generated well-formed input (header maps, hessian2 bodies...), besides the seeds. */
  generate?(rng: Rng): Buffer;
  /** Protocol-specific mutations (header map entries, hessian2 values, chunk sizes...). */
  mutate?(rng: Rng, input: Buffer): Buffer;
  /** Rewrite the length fields of the first frame of `input` to agree with its bytes (in place, or a new buffer). */
  fixup?(input: Buffer): Buffer;
}

export function interesting(rng: Rng, width: 1 | 2 | 4, current: number, inputLength: number): number {
  const max = width === 4 ? 0xffffffff : width === 2 ? 0xffff : 0xff;
  const half = width === 4 ? 0x80000000 : width === 2 ? 0x8000 : 0x80;
  const v = rng.pick([
    0, 1, 2, max, max - 1, half, half - 1, current + 1, current - 1, current + rng.int(16), current - rng.int(16),
    inputLength, inputLength + 1, inputLength - 1, rng.int(64), rng.u32(), current ^ (1 << rng.int(width * 8)),
  ]);
  return v >>> 0 & max;
}

function writeField(b: Buffer, f: Field, v: number): void {
  if (f.at + f.width > b.length) return;
  if (f.width === 1) b[f.at] = v & 0xff;
  else if (f.width === 2) b.writeUInt16BE(v & 0xffff, f.at);
  else b.writeUInt32BE(v >>> 0, f.at);
}

function readField(b: Buffer, f: Field): number {
  if (f.at + f.width > b.length) return 0;
  return f.width === 1 ? b[f.at]! : f.width === 2 ? b.readUInt16BE(f.at) : b.readUInt32BE(f.at);
}

/** The name of each generic mutation, for the statistics. */
export const MUTATIONS = ['field', 'bitflip', 'byte', 'truncate', 'concat', 'insert', 'delete', 'duplicate', 'splice', 'structure'] as const;

/** One generic or structural mutation of `input` (never changes `input`). */
export function mutateOnce(rng: Rng, s: Structure, input: Buffer, other: () => Buffer): Buffer {
  const n = input.length;
  switch (rng.int(s.mutate ? 12 : 10)) {
    case 0:
    case 1: {
      const fields = s.fields(input);
      if (fields.length === 0) return mutateOnce(rng, s, input, other);
      const f = rng.pick(fields);
      const out = Buffer.from(input);
      writeField(out, f, interesting(rng, f.width, readField(out, f), n));
      return out;
    }
    case 2: {
      const out = Buffer.from(input);
      for (let i = 1 + rng.int(8); i > 0 && n > 0; i--) out[rng.int(n)]! ^= 1 << rng.int(8);
      return out;
    }
    case 3: {
      const out = Buffer.from(input);
      if (n > 0) out[rng.int(n)] = rng.pick([0, 0xff, 0x7f, 0x80, rng.int(256)]);
      return out;
    }
    case 4:
      return input.subarray(0, rng.int(n + 1));
    case 5:
      return Buffer.concat(rng.chance(0.5) ? [input, other()] : [other(), input]);
    case 6: {
      const at = rng.int(n + 1);
      return Buffer.concat([input.subarray(0, at), rng.bytes(1 + rng.int(rng.chance(0.9) ? 8 : 512)), input.subarray(at)]);
    }
    case 7: {
      const at = rng.int(n + 1);
      return Buffer.concat([input.subarray(0, at), input.subarray(at + 1 + rng.int(16))]);
    }
    case 8: {
      const at = rng.int(n + 1);
      const len = rng.int(Math.min(64, n - at) + 1);
      const piece = input.subarray(at, at + len);
      const times = 1 + rng.int(rng.chance(0.9) ? 4 : 200);
      return Buffer.concat([input.subarray(0, at + len), ...Array<Buffer>(times).fill(piece), input.subarray(at + len)]);
    }
    case 9: {
      const o = other();
      return Buffer.concat([input.subarray(0, rng.int(n + 1)), o.subarray(rng.int(o.length + 1))]);
    }
    default:
      return s.mutate!(rng, input);
  }
}

/**
 * One fuzz input: a seed or a generated frame, mutated 1 to 4 times, its lengths made consistent again half
 * the time, then cut into up to 4 reads (as a connection receives them).
 */
export function makeInput(rng: Rng, s: Structure): { bytes: Buffer; cuts: number[] } {
  const base = (): Buffer => (s.generate && (s.seeds.length === 0 || rng.chance(0.4)) ? s.generate(rng) : rng.pick(s.seeds));
  let input = base();
  const rounds = rng.chance(0.05) ? 0 : 1 + rng.int(4);
  for (let i = 0; i < rounds; i++) input = mutateOnce(rng, s, input, base);
  if (s.fixup && rng.chance(0.5)) input = s.fixup(Buffer.from(input));
  const cuts: number[] = [];
  const pieces = rng.chance(0.7) ? 0 : 1 + rng.int(3);
  for (let i = 0; i < pieces; i++) cuts.push(rng.int(input.length + 1));
  cuts.sort((a, b) => a - b);
  return { bytes: input, cuts };
}

/** `bytes` cut at `cuts` (sorted offsets): the reads a connection would see. */
export function pieces(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (const c of cuts) {
    if (c > from) out.push(bytes.subarray(from, c));
    from = Math.max(from, c);
  }
  if (from < bytes.length || out.length === 0) out.push(bytes.subarray(from));
  return out;
}
