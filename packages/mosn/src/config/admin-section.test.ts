import { describe, expect, it } from 'vitest';
import { readAdmin } from './admin-section.js';
import { readSection } from './testing.js';

describe('readAdmin', () => {
  it('reads admin.address.socket_address; undefined without admin', () => {
    expect(readSection({ admin: { address: { socket_address: { address: '0.0.0.0', port_value: 34901 } } } }, '', readAdmin).result).toEqual({ host: '0.0.0.0', port: 34901 });
    expect(readSection({}, '', readAdmin).result).toBeUndefined();
  });

  it('reports a missing socket address, a bad port and unknown keys', () => {
    expect(readSection({ admin: { address: {} } }, '', readAdmin).errors).toEqual(['admin.address.socket_address: is required: expected an object']);
    const { result, errors, warnings } = readSection({ admin: { address: { socket_address: { address: '127.0.0.1', port_value: 70000, ipv4_compat: true } } } }, '', readAdmin);
    expect(result).toBeUndefined();
    expect(errors).toEqual(['admin.address.socket_address.port_value: expected a number from 0 to 65535, got 70000']);
    expect(warnings).toEqual(['admin.address.socket_address.ipv4_compat: unknown key; ignored']);
  });
});
