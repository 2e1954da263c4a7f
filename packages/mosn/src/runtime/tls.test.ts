import { describe, expect, it } from 'vitest';
import type { TlsContextSpec } from '../config/types.js';
import { pickContext } from './tls.js';

/** A context with only what SNI picking reads. */
function ctx(id: string, certNames: string[], serverName?: string): { id: string; spec: TlsContextSpec } {
  const spec = { certNames, files: {}, clientAuth: 'none', insecureSkip: false, sessionTickets: true, fallBack: false, ...(serverName ? { serverName } : {}) } as TlsContextSpec;
  return { id, spec };
}

describe('pickContext: which certificate of a tls_context_set a ClientHello gets (MOSN rules)', () => {
  const contexts = [ctx('a', ['a.test']), ctx('wild', ['*.example.com']), ctx('exact', ['www.example.com']), ctx('named', ['b.test'], 'api.internal')];
  const pick = (sni?: string) => pickContext(contexts, sni).id;

  it('the first context, in config order, that has the name or one of its wildcards', () => {
    expect(pick('a.test')).toBe('a');
    // the wildcard context comes first, so it wins over a later exact name (MOSN checks context by context)
    expect(pick('www.example.com')).toBe('wild');
    // leading labels are replaced one at a time: *.example.com covers deeper names too
    expect(pick('x.y.example.com')).toBe('wild');
    expect(pick('WWW.Example.COM.')).toBe('wild');
    expect(pick('api.internal')).toBe('named');
    expect(pick('b.test')).toBe('named');
  });

  it('no match: the first context; no SNI: the first context without a server_name', () => {
    expect(pick('unknown.test')).toBe('a');
    expect(pick(undefined)).toBe('a');
    expect(pickContext([ctx('named', ['n.test'], 'n'), ctx('plain', ['p.test'])], undefined).id).toBe('plain');
  });
});
