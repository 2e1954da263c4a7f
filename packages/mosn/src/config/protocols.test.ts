import { describe, expect, it } from 'vitest';
import { defaultExtensions } from '../extensions.js';
import { isWildcardProtocol, resolveProtocol, servedProtocols } from './protocols.js';
import { readSection } from './testing.js';

const ext = defaultExtensions();

describe('protocols', () => {
  it('Auto, X and empty are wildcards', () => {
    expect(['', 'Auto', 'AUTO', 'x', 'X'].every(isWildcardProtocol)).toBe(true);
    expect(isWildcardProtocol('Http1')).toBe(false);
  });

  it('serves the registered protocols that have an upstream pool', () => {
    expect(servedProtocols(ext).map((e) => e.name)).toEqual(['Http2', 'Http1', 'bolt', 'boltv2', 'dubbo']);
    const noDubboPool = { ...ext, pools: new Map([...ext.pools].filter(([k]) => k !== 'dubbo')) };
    expect(servedProtocols(noDubboPool).map((e) => e.name)).not.toContain('dubbo');
  });

  it('resolves a name case-insensitively; MOSN protocols not served yet, and unknown names, are reported', () => {
    const resolve = (name: string) => readSection({}, 'f', (r) => resolveProtocol(r, 'downstream_protocol', name, ext));
    expect(resolve('BOLT').result).toBe(ext.protocols.get('bolt'));
    expect(resolve('tars').errors).toEqual(['f.downstream_protocol: protocol "tars" is not supported by mosn-ts yet; supported: Auto, Http2, Http1, bolt, boltv2, dubbo']);
    expect(resolve('gopher').errors).toEqual(['f.downstream_protocol: unknown protocol "gopher"; known: Auto, Http2, Http1, bolt, boltv2, dubbo']);
  });
});
