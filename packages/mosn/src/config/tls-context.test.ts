import { describe, expect, it } from 'vitest';
import { readSection } from './testing.js';
import { readTlsContext } from './tls-context.js';

describe('readTlsContext', () => {
  it('refuses status: true with the caller\'s message, and reads the other settings quietly', () => {
    const on = readSection({ tls_context: { status: true, cert_chain: 'x', private_key: 'y' } }, 'fc', (r) => readTlsContext(r, 'no TLS'));
    expect(on.errors).toEqual(['fc.tls_context: no TLS']);
    expect(on.warnings).toEqual([]);
    const off = readSection({ tls_context: { status: false, server_name: 'a', nope: 1 } }, 'fc', (r) => readTlsContext(r, 'no TLS'));
    expect(off.errors).toEqual([]);
    expect(off.warnings).toEqual(['fc.tls_context.nope: unknown key; ignored']);
  });
});
