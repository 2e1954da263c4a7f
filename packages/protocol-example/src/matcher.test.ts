import { IoBuffer, ProtocolRegistry, detectProtocol } from '@mosn/protocol';
import { describe, expect, it } from 'vitest';
import { exampleCodec } from './codec.js';
import { golden } from './golden.test-support.js';
import { matchExample } from './matcher.js';

const buf = (bytes: Buffer | string) => {
  const b = new IoBuffer();
  b.append(Buffer.from(bytes));
  return b;
};

describe('matchExample', () => {
  it("matches 'XE' and version 1, asks for more while the bytes are a prefix of that", () => {
    expect(matchExample(buf(''))).toBe('again');
    expect(matchExample(buf('X'))).toBe('again');
    expect(matchExample(buf('XE'))).toBe('again');
    expect(matchExample(buf(golden.request.subarray(0, 3)))).toBe('match');
    expect(matchExample(buf(golden.response))).toBe('match');
    expect(matchExample(buf('XF'))).toBe('no');
    expect(matchExample(buf(Buffer.from([0x58, 0x45, 2])))).toBe('no');
    expect(matchExample(buf('GET / HTTP/1.1\r\n'))).toBe('no');
  });

  it('is detected after HTTP/2 and HTTP/1, in registration order with other RPC protocols', () => {
    const registry = ProtocolRegistry.withHttp();
    registry.registerCodec(exampleCodec);
    expect(registry.names()).toEqual(['Http2', 'Http1', 'example']);
    const matchers = registry.entries().map((e) => e.matcher);
    expect(detectProtocol(buf(golden.heartbeat), matchers)).toEqual({ protocol: 'example' });
    expect(detectProtocol(buf('GET / HTTP/1.1\r\n'), matchers)).toEqual({ protocol: 'Http1' });
    expect(detectProtocol(buf('X'), matchers)).toBe('again');
    expect(detectProtocol(buf('\x01\x01'), matchers)).toBe('no');
    expect(registry.get('EXAMPLE')?.name).toBe('example');
  });
});
