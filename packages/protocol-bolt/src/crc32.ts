import * as zlib from 'node:zlib';

/** CRC-32 (IEEE, as java.util.zip.CRC32) of `data`, continuing from `seed`. */
export type Crc32 = (data: Uint8Array, seed?: number) => number;

let table: Uint32Array | undefined;

/** Table-driven CRC-32 for Node versions before 20.15, which lack zlib.crc32. */
function crc32Js(data: Uint8Array, seed = 0): number {
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = (seed ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const native = (zlib as { crc32?: Crc32 }).crc32;

export const crc32: Crc32 = typeof native === 'function' ? native : crc32Js;

/** Exposed for the test that pins the fallback to the native result. */
export const crc32Fallback: Crc32 = crc32Js;
