import { describe, expect, it } from 'vitest';
import { BoltHeaderMap, walkHeaderSection } from './header-map.js';

function section(pairs: [string, string][]): Buffer {
  const m = BoltHeaderMap.fromEntries(pairs);
  const out = Buffer.alloc(m.encodedLength());
  m.encodeInto(out, 0);
  return out;
}

describe('BoltHeaderMap', () => {
  it('reads pairs from the wire bytes, in order, and copies them verbatim until changed', () => {
    const bytes = Buffer.concat([Buffer.from('pre'), section([['service', 'a.B:1.0'], ['zone', 'gz']]), Buffer.from('post')]);
    const m = new BoltHeaderMap(bytes, 3, bytes.length - 4);
    expect(m.encodedLength()).toBe(bytes.length - 7);
    const seen: string[] = [];
    m.forEach((v, k) => seen.push(`${k}=${v}`));
    expect(seen).toEqual(['service=a.B:1.0', 'zone=gz']);
    expect([m.has('zone'), m.has('nope'), m.size, m.changed]).toEqual([true, false, 2, false]);
    m.delete('nope');
    expect(m.changed).toBe(false);
    m.set('zone', 'sh');
    expect(m.changed).toBe(true);
    const out = Buffer.alloc(m.encodedLength());
    expect(m.encodeInto(out, 0)).toBe(out.length);
    expect(out.equals(section([['service', 'a.B:1.0'], ['zone', 'sh']]))).toBe(true);
  });

  it('looks keys up in the wire bytes before parsing, agreeing with the parsed map', () => {
    const bytes = section([['service', 'a'], ['zöne', 'ü'], ['sérvice', 'x']]);
    const dup = Buffer.concat([bytes, section([['service', 'b']])]);
    const lazy = new BoltHeaderMap(dup);
    expect([lazy.get('service'), lazy.get('zöne'), lazy.get('servic'), lazy.has('sérvice'), lazy.has('x')]).toEqual(['b', 'ü', undefined, true, false]);
    const parsed = new BoltHeaderMap(dup);
    parsed.forEach(() => {});
    expect([parsed.get('service'), parsed.get('zöne'), parsed.size]).toEqual(['b', 'ü', 3]);
  });

  it('an empty section is an empty map', () => {
    const m = new BoltHeaderMap(Buffer.alloc(0));
    expect([m.size, m.get('service'), m.encodedLength()]).toEqual([0, undefined, 0]);
  });

  it('walkHeaderSection checks every length against the end', () => {
    const ok = section([['k', 'v']]);
    expect(walkHeaderSection(ok, 0, ok.length)).toBe(true);
    for (let end = 1; end < ok.length; end++) expect(walkHeaderSection(ok, 0, end)).toBe(false);
  });
});
