import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Import a package a config names (`third_part_codec`, `third_part_stream_filter`): a file path (relative to the
 * config's folder) or a package name, resolved from the config's folder first, then from mosn's own. Rejects
 * with the import's error (not found, a syntax error, a throw at the module's top level).
 */
export async function importConfigPackage(path: string, configDir: string): Promise<Record<string, unknown>> {
  return (await import(resolveSpecifier(path, configDir))) as Record<string, unknown>;
}

/** The URL `import()` takes for `path`, or `path` itself when no base resolves it (the import then says why). */
function resolveSpecifier(path: string, configDir: string): string {
  if (path.startsWith('.') || isAbsolute(path)) return pathToFileURL(resolve(configDir, path)).href;
  for (const base of [join(configDir, 'noop.js'), import.meta.filename]) {
    try {
      return pathToFileURL(createRequire(base).resolve(path)).href;
    } catch {
      // not found from here: try the next base
    }
  }
  return path;
}

/** A module's export names, for a message that says what the package has instead. */
export function exportNames(mod: Record<string, unknown>): string {
  const names = Object.keys(mod);
  return names.length === 0 ? 'none' : names.join(', ');
}
