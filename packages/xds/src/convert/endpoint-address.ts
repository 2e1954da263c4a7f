import { isIP } from 'node:net';
import type { ConvertContext } from './context.js';
import { obj, str } from './fields.js';

/** What an endpoint address may be: an IP (STATIC, EDS) or a DNS name (STRICT_DNS, LOGICAL_DNS) to resolve. */
export type AddressKind = 'ip' | 'dns';

/**
 * A `core.v3.Address` of an endpoint → MOSN's host `address`: `ip:port`, `[ipv6]:port`, `name:port` (DNS
 * clusters), or `unix:/path` for a pipe (`unix:@name` for Linux's abstract namespace). Undefined, with an error,
 * when MOSN could not dial it as Envoy would: UDP, a named port, a custom resolver, an internal address.
 */
export function endpointAddress(address: unknown, kind: AddressKind, ctx: ConvertContext): string | undefined {
  const a = obj(address);
  if (a.address === 'socket_address') {
    const s = obj(a.socket_address);
    const at = ctx.at('socket_address');
    if (s.protocol === 'UDP') {
      at.at('protocol').error('UDP endpoints are not supported by mosn-ts');
      return undefined;
    }
    if (str(s.resolver_name) !== '') {
      at.at('resolver_name').error(`custom resolver ${JSON.stringify(s.resolver_name)} is not supported by mosn-ts`);
      return undefined;
    }
    if (s.port_specifier === 'named_port') {
      at.at('named_port').error('named ports are not supported (Envoy does not support them on endpoints either)');
      return undefined;
    }
    const host = str(s.address);
    const port = typeof s.port_value === 'number' ? s.port_value : 0;
    if (host === '') {
      at.at('address').error('missing address');
      return undefined;
    }
    if (port < 1 || port > 65535) {
      at.at('port_value').error(`expected a port from 1 to 65535, got ${port}`);
      return undefined;
    }
    const ip = isIP(host);
    if (ip === 0 && kind === 'ip') {
      at.at('address').error(`"${host}" is not an IP address: endpoints of STATIC and EDS clusters must be IP addresses (a STRICT_DNS or LOGICAL_DNS cluster resolves names)`);
      return undefined;
    }
    return ip === 6 ? `[${host}]:${port}` : `${host}:${port}`;
  }
  if (a.address === 'pipe') {
    const path = obj(a.pipe).path;
    if (kind === 'dns') {
      ctx.at('pipe').error('a DNS cluster resolves names: a pipe endpoint does not fit it');
      return undefined;
    }
    if (typeof path !== 'string' || path === '') {
      ctx.at('pipe.path').error('missing path');
      return undefined;
    }
    return `unix:${path}`;
  }
  if (a.address === 'envoy_internal_address') {
    ctx.at('envoy_internal_address').error('Envoy internal addresses (internal listeners) are not supported by mosn-ts');
    return undefined;
  }
  ctx.error('missing address');
  return undefined;
}
