import { describe, expect, it } from 'vitest';
import { boolValue, isSet, numberValue, obj, objects, str, strings } from './fields.js';

describe('field readers', () => {
  it('read what a decoded message holds, and the proto3 default for anything else', () => {
    expect(obj({ a: 1 })).toEqual({ a: 1 });
    expect([obj(undefined), obj([1]), obj(Buffer.from('x')), obj('s')]).toEqual([{}, {}, {}, {}]);
    expect(objects([{ a: 1 }, 'x', null, [2]])).toEqual([{ a: 1 }]);
    expect(strings(['a', 1, 'b'])).toEqual(['a', 'b']);
    expect([str('a'), str(undefined), str(3)]).toEqual(['a', '', '']);
  });

  it('read wrappers: present means set, also holding the default (decoded as {})', () => {
    expect([boolValue({ value: true }), boolValue({}), boolValue(undefined)]).toEqual([true, false, undefined]);
    expect([numberValue({ value: 5 }), numberValue({ value: '42' }), numberValue({}), numberValue(undefined)]).toEqual([5, 42, 0, undefined]);
  });

  it('isSet without the field: not a default scalar, not an empty list; a message when present', () => {
    expect([undefined, null, false, 0, '', [], Buffer.alloc(0)].map((v) => isSet(v))).toEqual(Array(7).fill(false));
    expect([true, 1, 'a', ['a'], {}, { seconds: '1' }].map((v) => isSet(v))).toEqual(Array(6).fill(true));
  });
});
