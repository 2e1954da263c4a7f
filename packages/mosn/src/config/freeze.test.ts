import { describe, expect, it } from 'vitest';
import { deepFreeze } from './freeze.js';

describe('deepFreeze', () => {
  it('freezes plain objects and arrays at every depth, and returns the value', () => {
    const v = { a: { b: [{ c: 1 }] }, n: Object.create(null) as Record<string, unknown> };
    expect(deepFreeze(v)).toBe(v);
    expect(Object.isFrozen(v)).toBe(true);
    expect(Object.isFrozen(v.a)).toBe(true);
    expect(Object.isFrozen(v.a.b)).toBe(true);
    expect(Object.isFrozen(v.a.b[0])).toBe(true);
    expect(Object.isFrozen(v.n)).toBe(true);
    expect(() => v.a.b.push({ c: 2 })).toThrow(TypeError);
  });

  it('leaves RegExps, functions, Maps, class instances and skipped objects (registry entries) as they are', () => {
    class Codec {
      state = 0;
    }
    const entry = { name: 'bolt', codec: new Codec() };
    const get = () => 'x';
    const v = { regex: /a/g, get, map: new Map([['k', { deep: 1 }]]), instance: new Codec(), entries: [entry] };
    deepFreeze(v, new Set([entry]));
    expect(Object.isFrozen(v)).toBe(true);
    expect(Object.isFrozen(v.entries)).toBe(true);
    // a global RegExp's lastIndex is written by String.replace and RegExp.exec
    expect('aXa'.replace(v.regex, 'b')).toBe('bXb');
    v.regex.lastIndex = 1;
    expect(Object.isFrozen(v.get)).toBe(false);
    expect(Object.isFrozen(v.map)).toBe(false);
    expect(Object.isFrozen(v.map.get('k'))).toBe(false);
    expect(Object.isFrozen(v.instance)).toBe(false);
    expect(Object.isFrozen(entry)).toBe(false);
    expect(Object.isFrozen(entry.codec)).toBe(false);
  });

  it('ends on cycles and shared objects', () => {
    const shared: Record<string, unknown> = { x: 1 };
    const v: Record<string, unknown> = { a: shared, b: shared };
    shared.self = v;
    deepFreeze(v);
    expect(Object.isFrozen(shared)).toBe(true);
  });
});
