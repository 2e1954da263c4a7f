import hessian from 'hessian.js';

/**
 * Reading (and, for a changed header map, rewriting) a hessian2 Dubbo request body without
 * materialising it: `dubbo version, service path, service version, method, parameter types,
 * arguments..., attachments`. Nothing here throws on bad bytes: a reader answers its result or a
 * message saying what could not be read.
 */

/**
 * Where the four leading values (dubbo version, service path, service version, method name) lie:
 * value i at `bounds[i]` to `bounds[i + 1]`, so `bounds[4]` is where the parameter types start. Short
 * ASCII strings, the usual case, are turned into strings only when asked for (leadingValue); the
 * others were read by hessian.js and are kept in `decoded`.
 */
export interface Leading {
  readonly bounds: readonly number[];
  readonly decoded: readonly (string | undefined)[] | undefined;
}

/** One entry of the attachments map, as its byte range; key and value are set when they are strings. */
export interface AttachmentEntry {
  readonly key: string | undefined;
  readonly value: string | undefined;
  readonly start: number;
  readonly end: number;
}

/** The attachments map at the end of the body. */
export interface Attachments {
  /** Where the map (or the null or nothing in its place) starts: everything before is kept as it is. */
  readonly start: number;
  /** After `H`, or `M` and its type; equal to `start` when there is no map. */
  readonly headEnd: number;
  /** After the map's `Z` (or the null); bytes from here to the body's end are kept as they are. */
  readonly end: number;
  readonly entries: readonly AttachmentEntry[];
}

const NOT_READ = Symbol('not read');

/** One value with hessian.js from `decoder`'s position; NOT_READ when it throws or runs past the end. */
function readValue(decoder: InstanceType<typeof hessian.DecoderV2>, length: number): unknown {
  try {
    const value = decoder.read();
    return decoder.position() > length ? NOT_READ : value;
  } catch {
    return NOT_READ;
  }
}

/**
 * The end of a short hessian2 string at `at` whose characters are all ASCII (`[x00-x1f]` or
 * `[x30-x33] b0` followed by the bytes), or -1 for anything else. For such strings the UTF-16 length
 * hessian counts equals the byte length, so the hot path reads them without hessian.js.
 */
function asciiStringEnd(bytes: Buffer, at: number): number {
  const code = bytes[at];
  if (code === undefined) return -1;
  let start: number;
  let end: number;
  if (code < 0x20) {
    start = at + 1;
    end = start + code;
  } else if (code >= 0x30 && code <= 0x33 && at + 1 < bytes.length) {
    start = at + 2;
    end = start + ((code - 0x30) << 8) + bytes[at + 1]!;
  } else {
    return -1;
  }
  if (end > bytes.length) return -1;
  for (let i = start; i < end; i++) if (bytes[i]! > 0x7f) return -1;
  return end;
}

const LEADING_NAMES = ['dubbo version', 'service path', 'service version', 'method name'];

/** Where the four leading values of the hessian2 request body at `start` in `bytes` lie, or why they cannot be read. */
export function readLeading(bytes: Buffer, start: number): Leading | string {
  const bounds = [start, 0, 0, 0, 0];
  let decoded: (string | undefined)[] | undefined;
  let decoder: InstanceType<typeof hessian.DecoderV2> | undefined;
  let at = start;
  for (let i = 0; i < 4; i++) {
    let end = asciiStringEnd(bytes, at);
    if (end < 0) {
      // Anything else (chunked, non-ASCII, null): hessian.js, from this offset. Strings carry no
      // references or class definitions, so a fresh decoder here reads exactly what one from the start would.
      decoder ??= new hessian.DecoderV2(bytes);
      decoder.position(at);
      const value = readValue(decoder, bytes.length);
      if (typeof value !== 'string' && !(value === null && i === 2)) {
        return `dubbo: the request body's ${LEADING_NAMES[i]} is not a hessian2 string`;
      }
      (decoded ??= [])[i] = value ?? '';
      end = decoder.position();
    }
    bounds[i + 1] = at = end;
  }
  return { bounds, decoded };
}

/** Leading value i (0 dubbo version, 1 service, 2 version, 3 method); '' for a null version, as MOSN. */
export function leadingValue(bytes: Buffer, leading: Leading, i: number): string {
  const decoded = leading.decoded?.[i];
  if (decoded !== undefined) return decoded;
  const at = leading.bounds[i]!;
  return bytes.toString('latin1', bytes[at]! < 0x20 ? at + 1 : at + 2, leading.bounds[i + 1]);
}

const PRIMITIVES = 'VZBCDFIJS';

/**
 * The number of parameters in a JVM method descriptor's parameter list (`Ljava/lang/String;[II`
 * is 3), or -1 when it is malformed.
 */
export function countParameters(desc: string): number {
  let n = 0;
  for (let i = 0; i < desc.length; i++, n++) {
    while (desc[i] === '[') i++;
    const c = desc[i];
    if (c === 'L') {
      i = desc.indexOf(';', i);
      if (i < 0) return -1;
    } else if (c === undefined || !PRIMITIVES.includes(c)) {
      return -1;
    }
  }
  return n;
}

const H = 0x48;
const M = 0x4d;
const N = 0x4e;
const Z = 0x5a;

/**
 * The attachments map of the hessian2 request body in `bytes` (to their end) whose leading values end
 * at `from`; offsets are into `bytes`. To find it the parameter descriptor is read and every argument
 * decoded by hessian.js and dropped: this costs a full decode of the arguments (objects, lists, maps are
 * built), so it runs only when a route asks for a key that is not one of the four leading values, or a
 * filter changes the header map.
 */
export function readAttachments(bytes: Buffer, from: number): Attachments | string {
  const length = bytes.length;
  const decoder = new hessian.DecoderV2(bytes);
  decoder.position(from);
  const desc = readValue(decoder, length);
  if (typeof desc !== 'string') return 'dubbo: the request body has no parameter type descriptor';
  const count = countParameters(desc);
  if (count < 0) return `dubbo: malformed parameter type descriptor ${JSON.stringify(desc.slice(0, 200))}`;
  for (let i = 0; i < count; i++) {
    if (readValue(decoder, length) === NOT_READ) return `dubbo: cannot read argument ${i + 1} of ${count}`;
  }
  const start = decoder.position();
  const code = bytes[start];
  if (code === undefined) return { start, headEnd: start, end: start, entries: [] }; // no attachments at all
  if (code === N) return { start, headEnd: start, end: start + 1, entries: [] };
  if (code !== H && code !== M) return 'dubbo: the request body does not end with an attachments map';
  decoder.position(start + 1);
  if (code === M && readValue(decoder, length) === NOT_READ) return 'dubbo: malformed attachments map type';
  const headEnd = decoder.position();
  const entries: AttachmentEntry[] = [];
  for (;;) {
    const at = decoder.position();
    if (at >= length) return 'dubbo: the attachments map has no end';
    if (bytes[at] === Z) return { start, headEnd, end: at + 1, entries };
    const key = readValue(decoder, length);
    const value = key === NOT_READ ? NOT_READ : readValue(decoder, length);
    if (value === NOT_READ) return 'dubbo: malformed attachments map entry';
    entries.push({
      key: typeof key === 'string' ? key : undefined,
      value: typeof value === 'string' ? value : undefined,
      start: at,
      end: decoder.position(),
    });
  }
}

const encoder = new hessian.EncoderV2();

/** hessian2 bytes of these values in order; a string, or null for undefined. */
export function hessianStrings(values: readonly (string | undefined)[]): Buffer {
  encoder.reset();
  for (const v of values) {
    if (v === undefined) encoder.writeNull();
    else encoder.writeString(v);
  }
  return encoder.get();
}

/** hessian2 bytes of any value hessian.js can write (js-to-java wrappers for typed Java values). */
export function hessianValues(values: readonly unknown[]): Buffer {
  encoder.reset();
  for (const v of values) encoder.write(v);
  return encoder.get();
}
