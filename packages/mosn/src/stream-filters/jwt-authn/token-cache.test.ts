import { describe, expect, it } from 'vitest';
import { KeySet } from './key-set.js';
import { TokenCache, type VerifiedToken } from './token-cache.js';

const keys = new KeySet([]);
const entry = (k = keys): VerifiedToken => ({ keys: k, iss: '', exp: undefined, nbf: undefined, aud: undefined, payload: 'e30' });

describe('TokenCache', () => {
  it('keeps at most its size, evicting the least recently used', () => {
    const cache = new TokenCache(2);
    cache.set('a', entry());
    cache.set('b', entry());
    expect(cache.get('a', keys)).toBeDefined();
    cache.set('c', entry());
    expect([cache.get('a', keys) !== undefined, cache.get('b', keys) !== undefined, cache.get('c', keys) !== undefined]).toEqual([true, false, true]);
    expect(cache.size).toBe(2);
  });

  it('gives an entry only while its keys are the current ones (none: the keys must be fetched first)', () => {
    const cache = new TokenCache(10);
    cache.set('a', entry());
    expect(cache.get('a', undefined)).toBeUndefined();
    expect(cache.get('a', new KeySet([]))).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
