import { IoBuffer } from '@mosn/protocol';
import { describe, expect, it } from 'vitest';
import { matchBoltV1, matchBoltV2 } from './matcher.js';

const buf = (...bytes: number[]) => {
  const b = new IoBuffer();
  b.append(Buffer.from(bytes));
  return b;
};

describe('matchers', () => {
  it('bolt v1: 0x01 then a cmd type 0, 1 or 2', () => {
    expect(matchBoltV1(buf())).toBe('again');
    expect(matchBoltV1(buf(1))).toBe('again');
    expect([0, 1, 2].map((t) => matchBoltV1(buf(1, t)))).toEqual(['match', 'match', 'match']);
    expect(matchBoltV1(buf(1, 3))).toBe('no');
    expect(matchBoltV1(buf(2, 1))).toBe('no');
    expect(matchBoltV1(buf(0x47, 0x45))).toBe('no');
  });

  it('bolt v2: 0x02, ver1 1 or 2, then a cmd type', () => {
    expect(matchBoltV2(buf(2))).toBe('again');
    expect(matchBoltV2(buf(2, 2))).toBe('again');
    expect(matchBoltV2(buf(2, 1, 0))).toBe('match');
    expect(matchBoltV2(buf(2, 2, 2))).toBe('match');
    expect(matchBoltV2(buf(2, 3, 1))).toBe('no');
    expect(matchBoltV2(buf(2, 1, 7))).toBe('no');
    expect(matchBoltV2(buf(1, 1, 1))).toBe('no');
  });
});
