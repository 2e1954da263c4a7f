import { dirname, resolve } from 'node:path';
import type { ConfigProblems } from './config-reader.js';
import { readConfig } from './read-config.js';
import { defaultExtensions } from '../extensions.js';
import { loadThirdPartCodecs } from '../plugins.js';
import { loadThirdPartStreamFilters } from '../stream-filters/load-packages.js';
import type { XdsFlags } from '../xds/flags.js';

/** Print a config's warnings and errors, each with its JSON path, to stderr. */
export function printProblems(file: string, problems: ConfigProblems): void {
  for (const w of problems.warnings) process.stderr.write(`warning: ${file}: ${w.path}: ${w.message}\n`);
  for (const e of problems.errors) process.stderr.write(`error: ${file}: ${e.path}: ${e.message}\n`);
}

/** Where a config file's relative paths (protocol packages, certificates) are found: its own folder. */
export function configDir(file: string): string {
  return dirname(resolve(file));
}

/** Load the config's protocol and stream filter packages, then check the whole config: every problem, with its path. */
export async function checkConfig(raw: unknown, file: string, xdsFlags?: XdsFlags) {
  const extensions = defaultExtensions();
  const baseDir = configDir(file);
  const loaded = [await loadThirdPartCodecs(raw, extensions, baseDir), await loadThirdPartStreamFilters(raw, extensions, baseDir)];
  const read = readConfig(raw, extensions, { baseDir, ...(xdsFlags ? { xdsFlags } : {}) });
  read.problems.errors.unshift(...loaded.flatMap((l) => l.errors));
  read.problems.warnings.unshift(...loaded.flatMap((l) => l.warnings));
  return { ...read, extensions, config: loaded.some((l) => l.errors.length > 0) ? undefined : read.config };
}
