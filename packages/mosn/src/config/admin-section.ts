import type { Address } from '@mosn/proxy';
import type { ConfigReader } from './config-reader.js';

/** `admin.address.socket_address` (`address`, `port_value`): where the admin API listens; undefined without `admin`. */
export function readAdmin(root: ConfigReader): Address | undefined {
  const a = root.obj('admin');
  if (!a) return undefined;
  let admin: Address | undefined;
  const addr = a.obj('address');
  const sa = addr?.obj('socket_address', { required: true });
  if (sa) {
    const host = sa.str('address', { required: true });
    const port = sa.num('port_value', { required: true, min: 0, max: 65535 });
    if (host !== undefined && port !== undefined) admin = { host, port };
    sa.finish();
  }
  addr?.finish();
  a.finish();
  return admin;
}
