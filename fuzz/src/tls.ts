import type { Field, Structure } from './mutate.js';
import type { Rng } from './prng.js';

/**
 * TLS ClientHellos for mosn's TLS listener (the inspector's first-byte check, then OpenSSL). Seeded with real
 * ClientHellos (captured from node:tls clients: SNI, ALPN, TLS 1.2 and 1.3), mutating the record header
 * (type, version, length), the handshake header (type, 24-bit length), the client version, the session id,
 * cipher suites and extension lengths; truncations and concatenations come from the generic mutations.
 */

function fields(b: Buffer): Field[] {
  const f: Field[] = [
    { at: 0, width: 1, name: 'record type' },
    { at: 1, width: 2, name: 'record version' },
    { at: 3, width: 2, name: 'record length' },
    { at: 5, width: 1, name: 'handshake type' },
    { at: 7, width: 2, name: 'handshake length' },
    { at: 9, width: 2, name: 'client version' },
  ];
  if (b.length > 43) {
    f.push({ at: 43, width: 1, name: 'session id length' });
    const sid = b[43]!;
    const cs = 44 + sid;
    if (cs + 2 <= b.length) {
      f.push({ at: cs, width: 2, name: 'cipher suites length' });
      const comp = cs + 2 + b.readUInt16BE(cs);
      if (comp < b.length) {
        f.push({ at: comp, width: 1, name: 'compression methods length' });
        const ext = comp + 1 + b[comp]!;
        if (ext + 2 <= b.length) {
          f.push({ at: ext, width: 2, name: 'extensions length' });
          for (let at = ext + 2; at + 4 <= b.length && f.length < 48; at += 4 + b.readUInt16BE(at + 2)) {
            f.push({ at, width: 2, name: 'extension type' }, { at: at + 2, width: 2, name: 'extension length' });
          }
        }
      }
    }
  }
  return f;
}

/** Record and handshake lengths made to agree with the bytes. */
function fixup(b: Buffer): Buffer {
  if (b.length >= 9 && b.length - 5 <= 0xffff) {
    b.writeUInt16BE(b.length - 5, 3);
    b.writeUIntBE(b.length - 9, 6, 3);
  }
  return b;
}

/** A second record glued on, or the hello cut into two records. */
function mutate(rng: Rng, b: Buffer): Buffer {
  if (b.length < 10 || rng.chance(0.5)) return Buffer.concat([b, Buffer.from([rng.pick([0x14, 0x15, 0x16, 0x17]), 3, 3, 0, 2, rng.int(256), rng.int(256)])]);
  const cut = 5 + rng.int(b.length - 5);
  const first = Buffer.from(b.subarray(0, cut));
  first.writeUInt16BE(cut - 5, 3);
  const rest = b.subarray(cut);
  const head = Buffer.from([0x16, 3, 1, 0, 0]);
  head.writeUInt16BE(rest.length & 0xffff, 3);
  return Buffer.concat([first, head, rest]);
}

export function tlsStructure(seeds: readonly Buffer[]): Structure {
  return { seeds, fields, fixup, mutate };
}
