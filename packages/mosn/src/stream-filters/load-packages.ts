import { ConfigProblems, ConfigReader } from '../config/config-reader.js';
import type { Extensions } from '../extensions.js';
import { exportNames, importConfigPackage } from '../package-import.js';
import { PackageStreamFilter, pluginShapeProblems } from './package-filter.js';
import type { StreamFilterPlugin } from './types.js';

/** The export a filter package is looked up by when `loader_func_name` is not given (else: the default export). */
export const DEFAULT_FILTER_EXPORT = 'filter';

/**
 * Load the filter packages named in `third_part_stream_filter.filters[]` and register their filter types, before
 * the config is read (its listeners and routes then know the types). An entry is `{ "enable": true, "type":
 * "npm", "path": "<package or file>", "loader_func_name": "<export, default filter>" }`, as `third_part_codec`'s:
 * a package resolved from the config file's folder, then from mosn's own. The export is a StreamFilterPlugin,
 * registered under its `name`. What cannot be loaded, what is not a filter, and a name that is taken are errors
 * at the entry's `path`. The entries' keys themselves are checked when the config is read
 * (`readThirdPartStreamFilters`); an entry that is malformed there is skipped here.
 */
export async function loadThirdPartStreamFilters(raw: unknown, ext: Extensions, configDir: string): Promise<ConfigProblems> {
  const problems = new ConfigProblems();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return problems;
  // the keys are read quietly: readConfig reports their problems, once
  const quiet = new ConfigProblems();
  const section = new ConfigReader(raw as Record<string, unknown>, '', quiet).obj('third_part_stream_filter');
  if (!section) return problems;
  /** Type names loaded by this call, and the entry each came from. */
  const loaded = new Map<string, string>();
  for (const entry of section.objects('filters')) {
    const type = entry.str('type');
    const path = entry.str('path');
    const exportName = entry.str('loader_func_name') || DEFAULT_FILTER_EXPORT;
    if (entry.bool('enable') === false || type?.toLowerCase() !== 'npm' || !path) continue;
    const at = entry.at('path');
    let mod: Record<string, unknown>;
    try {
      mod = await importConfigPackage(path, configDir);
    } catch (e) {
      problems.error(at, `cannot load stream filter package "${path}": ${(e as Error)?.message ?? String(e)}`);
      continue;
    }
    const plugin = mod[exportName] ?? (exportName === DEFAULT_FILTER_EXPORT ? mod.default : undefined);
    if (plugin === undefined) {
      problems.error(at, `"${path}" has no export "${exportName}" (its exports: ${exportNames(mod)}); name the filter's export in "loader_func_name"`);
      continue;
    }
    const shape = pluginShapeProblems(plugin);
    if (shape.length > 0) {
      problems.error(at, `"${path}" export "${exportName}" is not a stream filter (a StreamFilterPlugin: name, read, build, perRoute): ${shape.join('; ')}`);
      continue;
    }
    const { name } = plugin as StreamFilterPlugin;
    const earlier = loaded.get(name);
    if (earlier !== undefined) {
      problems.error(at, `stream filter "${name}" of "${path}" is already loaded from ${earlier}: two packages cannot share a type name`);
    } else if (ext.streamFilters.has(name) || ext.retiredStreamFilters.has(name)) {
      problems.error(at, `stream filter "${name}" of "${path}" has the name of a filter type mosn-ts has already (known: ${ext.streamFilters.names().join(', ')}); the package's filter needs another name`);
    } else {
      ext.streamFilters.register(name, new PackageStreamFilter(plugin as StreamFilterPlugin, path));
      loaded.set(name, `"${path}" (${at})`);
    }
  }
  return problems;
}
