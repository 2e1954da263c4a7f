import { REGISTRY_EXTENSIONS, readRegistryExtension, registryConfig, type RegistryConfig } from '../registry/config.js';
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

/**
 * `third_part_stream_filter.filters[]`: filter packages, loaded before the config is read
 * (../stream-filters/load-packages.ts); here their keys are checked. Only `"type": "npm"` can be loaded.
 */
export function readThirdPartStreamFilters(root: ConfigReader): void {
  const section = root.obj('third_part_stream_filter');
  if (!section) return;
  for (const f of section.objects('filters')) {
    const enabled = f.bool('enable') !== false;
    const type = f.str('type', { required: enabled });
    if (enabled && type !== undefined && type.toLowerCase() !== 'npm') {
      f.problems.error(f.at('type'), `stream filter package type "${type}" cannot be loaded by mosn-ts (it loads filter packages from npm): use "type": "npm" with the package name or a file in "path"`);
    }
    f.str('path', { required: enabled, nonEmpty: true });
    f.str('loader_func_name');
    f.finish();
  }
  section.finish();
}

/**
 * `extends[]`: MOSN's configured extensions (`type`, `config`). The service registries are read (`dubbo_registry`,
 * MOSN's; `sofa_registry`, mosn-ts's: ../registry/config.ts); any other type is refused.
 */
export function readExtends(root: ConfigReader): RegistryConfig | undefined {
  const parts: Parameters<typeof registryConfig>[0] = {};
  const seen = new Set<string>();
  for (const e of root.objects('extends')) {
    const type = e.str('type', { required: true });
    const known = type !== undefined && (REGISTRY_EXTENSIONS as readonly string[]).includes(type);
    if (type !== undefined && !known) e.problems.error(e.at('type'), `extension "${type}" is not supported by mosn-ts (known: ${REGISTRY_EXTENSIONS.join(', ')})`);
    if (known && seen.has(type)) e.problems.error(e.at('type'), `a second "${type}": give one`);
    if (known && !seen.has(type)) {
      seen.add(type);
      const c = e.obj('config', { required: true });
      if (c) readRegistryExtension(type, c, parts);
    } else e.value('config');
    e.finish();
  }
  return registryConfig(parts);
}
