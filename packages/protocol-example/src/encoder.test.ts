import { SimpleHeaderMap } from '@mosn/protocol';
import { describe, expect, it } from 'vitest';
import { buildFrame, buildRequest, buildResponse } from './builder.js';
import { encodeFrame } from './encoder.js';
import { decodeOne, golden } from './golden.test-support.js';
import { serializeHeader } from './header.js';

const bytesOf = (parts: Buffer[]) => Buffer.concat(parts);

describe('builders', () => {
  it('write the golden bytes', () => {
    expect(buildRequest({ requestId: 7, header: { service: 'echo' }, body: 'hi' }).raw).toEqual(golden.request);
    expect(buildRequest({ requestId: 8, body: Buffer.from('x'), oneWay: true }).raw).toEqual(golden.oneWay);
    expect(buildResponse(7, { body: 'hi' }).raw).toEqual(golden.response);
    expect(buildFrame({ kind: 'request', requestId: 1, heartbeat: true }).raw).toEqual(golden.heartbeat);
    expect(buildFrame({ kind: 'response', requestId: 1, heartbeat: true }).raw).toEqual(golden.heartbeatReply);
  });

  it('put timeoutMs into the timeout header', () => {
    const f = buildRequest({ requestId: 1, header: [['service', 'echo']], timeoutMs: 300 });
    expect(f.timeoutMs).toBe(300);
    expect(decodeOne(f.raw).header.get('timeout')).toBe('300');
  });

  it('refuse header pairs the wire cannot carry', () => {
    for (const header of [{ '': 'x' }, { 'a=b': 'x' }, { 'a\n': 'x' }, { a: 'x\ny' }, { big: 'x'.repeat(70_000) }]) {
      expect(() => buildRequest({ requestId: 1, header })).toThrow(RangeError);
    }
  });
});

describe('encodeFrame', () => {
  it('returns the original bytes when the id is the one they carry', () => {
    const f = decodeOne(golden.request);
    const out = encodeFrame(f);
    expect(out).toHaveLength(1);
    expect(out[0]).toBe(f.raw);
  });

  it('patches a new id into a copy of the fixed header and leaves the original bytes alone', () => {
    const f = decodeOne(golden.request);
    const out = encodeFrame(f.withRequestId(0xfffffffe));
    expect(out).toHaveLength(2);
    expect(out[1]!.buffer).toBe(f.raw.buffer); // header section and body are not copied
    const again = decodeOne(bytesOf(out));
    expect([again.requestId, again.header.get('service'), again.body.toString()]).toEqual([0xfffffffe, 'echo', 'hi']);
    expect(f.raw).toEqual(golden.request);
    expect(bytesOf(encodeFrame(decodeOne(golden.heartbeat).withRequestId(9)))).toHaveLength(golden.heartbeat.length);
  });

  it('re-serializes a header map a filter changed, keeping the rest of the frame', () => {
    const f = decodeOne(golden.request).withRequestId(3);
    f.header.set('x-mosn', 'yes');
    f.header.delete('service');
    const again = decodeOne(bytesOf(encodeFrame(f)));
    expect([again.requestId, again.kind, again.header.get('x-mosn'), again.header.has('service'), again.body.toString()]).toEqual([
      3, 'request', 'yes', false, 'hi',
    ]);
    const res = decodeOne(golden.response);
    res.header.set('k', 'v');
    expect(decodeOne(bytesOf(encodeFrame(res))).status).toBe(0);
  });

  it('serializeHeader and the decoder agree on any printable pairs', () => {
    const pairs: [string, string][] = [['service', 'com.example.Echo:1.0'], ['ünï', 'cödé'], ['eq', 'a=b']];
    const decoded = decodeOne(buildRequest({ requestId: 1, header: pairs }).raw).header;
    expect(serializeHeader(decoded)).toEqual(serializeHeader(new SimpleHeaderMap(pairs)));
  });
});
