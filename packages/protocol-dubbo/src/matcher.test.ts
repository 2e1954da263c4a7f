import { IoBuffer } from '@mosn/protocol';
import { describe, expect, it } from 'vitest';
import { matchDubbo } from './matcher.js';

const buf = (...bytes: number[]) => {
  const b = new IoBuffer();
  b.append(Buffer.from(bytes));
  return b;
};

describe('matchDubbo', () => {
  it('0xda 0xbb, again on 0xda alone', () => {
    expect(matchDubbo(buf())).toBe('again');
    expect(matchDubbo(buf(0xda))).toBe('again');
    expect(matchDubbo(buf(0xda, 0xbb))).toBe('match');
    expect(matchDubbo(buf(0xda, 0xbb, 0xc2))).toBe('match');
    expect(matchDubbo(buf(0xda, 0xbc))).toBe('no');
    expect(matchDubbo(buf(0x01, 0x01))).toBe('no');
    expect(matchDubbo(buf(0x47))).toBe('no');
  });
});
