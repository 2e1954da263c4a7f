import { describe, expect, it } from 'vitest';
import { IoBuffer } from './buffer.js';

describe('IoBuffer', () => {
  it('reads integers across chunk boundaries', () => {
    const b = new IoBuffer();
    b.append(Buffer.from([0x01, 0x02]));
    b.append(Buffer.from([0x03]));
    b.append(Buffer.from([0x04, 0x05, 0x06]));
    expect(b.length).toBe(6);
    expect(b.uint8(3)).toBe(4);
    expect(b.uint16(1)).toBe(0x0203);
    expect(b.uint32(1)).toBe(0x02030405);
    b.drain(1);
    expect(b.uint32(0)).toBe(0x02030405);
    expect(() => b.uint8(5)).toThrow(RangeError);
  });

  it('take returns a zero-copy slice inside one chunk and a copy across chunks', () => {
    const first = Buffer.from('hello world');
    const b = new IoBuffer();
    b.append(first);
    b.append(Buffer.from('!!'));
    const hello = b.take(5);
    expect(hello.toString()).toBe('hello');
    expect(hello.buffer).toBe(first.buffer);
    const rest = b.take(8);
    expect(rest.toString()).toBe(' world!!');
    expect(b.length).toBe(0);
    expect(() => b.take(1)).toThrow(RangeError);
  });

  it('peek does not consume; chunks lists what is unread', () => {
    const b = new IoBuffer();
    b.append(Buffer.from('abc'));
    b.append(Buffer.from('def'));
    expect(b.peek(4).toString()).toBe('abcd');
    expect(b.length).toBe(6);
    b.drain(2);
    expect(b.chunks().map(String)).toEqual(['c', 'def']);
    expect(b.takeAll().toString()).toBe('cdef');
  });
});
