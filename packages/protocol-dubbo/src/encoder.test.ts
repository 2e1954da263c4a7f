import { randomBytes } from 'node:crypto';
import { MosnError } from '@mosn/protocol';
import { describe, expect, it } from 'vitest';
import { buildFrame, encodeRequestBody } from './builder.js';
import { dubboCodec } from './codec.js';
import { encodeFrame } from './encoder.js';
import { decodeOne, decodeOwned, golden } from './golden.test-support.js';

describe('encodeFrame', () => {
  it('returns the decoded bytes themselves when the id is unchanged', () => {
    const f = decodeOne(golden.request_echo!);
    const out = encodeFrame(f);
    expect(out).toHaveLength(1);
    expect(out[0]).toBe(f.raw);
  });

  it('patches the id of a frame decoded from a connection into its own bytes, once; later encodes copy', () => {
    for (const name of ['request_echo', 'response_plus']) {
      const f = decodeOwned(golden[name]!);
      const before = Buffer.from(f.raw);
      const first = encodeFrame(f.withRequestId(2 ** 40 + 7));
      expect(first).toHaveLength(1);
      expect(first[0]).toBe(f.raw); // no copy
      const sent = Buffer.from(first[0]!);
      expect(decodeOne(sent).requestId).toBe(2 ** 40 + 7);
      const second = Buffer.concat(encodeFrame(f.withRequestId(99)));
      expect(f.raw.equals(sent)).toBe(true); // the bytes already handed out stay as they were
      expect(decodeOne(second).requestId).toBe(99);
      expect(Buffer.concat(encodeFrame(f)).equals(before)).toBe(true);
      expect(f.withRequestId(3).header).toBe(f.header);
    }
  });

  it('sends a large frame as a patched 16-byte header plus the untouched body', () => {
    const body = randomBytes(100_000);
    const f = buildFrame({ kind: 'response', requestId: 1, body });
    const out = encodeFrame(f.withRequestId(2 ** 35));
    expect(out).toHaveLength(2);
    expect(out[0]!.length).toBe(16);
    expect(out[1]!.buffer).toBe(f.raw.buffer); // no copy of the body
    const back = decodeOne(Buffer.concat(out));
    expect([back.requestId, back.status]).toEqual([2 ** 35, 20]);
    expect(back.body.equals(body)).toBe(true);
  });

  it('rewrites a large request whose header map changed, with the new body length', () => {
    const f = buildFrame({ kind: 'request', requestId: 1, body: encodeRequestBody({ service: 'a.B', method: 'm', parameterTypes: '[B', args: [randomBytes(50_000)], attachments: { group: 'g' } }) });
    const g = f.withRequestId(3);
    g.header.set('group', 'h');
    const out = Buffer.concat(encodeFrame(g));
    expect(out.readUInt32BE(12)).toBe(out.length - 16);
    const back = decodeOne(out);
    expect([back.requestId, back.header.get('group'), back.header.get('service')]).toEqual([3, 'h', 'a.B']);
  });

  it('refuses request ids a Dubbo id or a number cannot carry', () => {
    const f = decodeOne(golden.request_echo!);
    for (const id of [-1, 1.5, 2 ** 53, Number.NaN]) {
      expect(() => dubboCodec.withRequestId(f, id)).toThrow(MosnError);
      expect(() => dubboCodec.heartbeatTrigger(id)).toThrow(/not a whole number from 0 to 2\^53 - 1/);
    }
  });
});
