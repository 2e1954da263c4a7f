import type { ConfigReader } from './config-reader.js';

/** `third_part_codec.codecs[]`: loaded before the config is read (plugins.ts); here only their types are checked. */
export function readThirdPartCodecs(root: ConfigReader): void {
  const tpc = root.obj('third_part_codec');
  if (!tpc) return;
  for (const c of tpc.objects('codecs')) {
    const type = c.str('type', { required: true });
    if (c.bool('enable') !== false && type !== undefined && type.toLowerCase() !== 'npm') {
      c.problems.error(c.at('type'), `codec type "${type}" cannot be loaded by mosn-ts (it loads protocol packages from npm): use "type": "npm" with the package name in "path"`);
    }
    c.str('path');
    c.str('loader_func_name');
    c.finish();
  }
  tpc.finish();
}

/** `extends[]`: MOSN's configured extensions (`type`, `config`); none is supported yet. */
export function readExtends(root: ConfigReader): void {
  for (const e of root.objects('extends')) {
    const type = e.str('type', { required: true });
    if (type !== undefined) e.problems.error(e.at('type'), `extension "${type}" is not supported by mosn-ts yet`);
    e.value('config');
    e.finish();
  }
}
