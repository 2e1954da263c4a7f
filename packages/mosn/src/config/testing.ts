import type { Extensions } from '../extensions.js';
import { readClusterManager } from './cluster.js';
import { ConfigProblems, ConfigReader } from './config-reader.js';
import type { ClusterSpec } from './types.js';

/** Problems as `path: message` lines, which tests compare whole. */
export function problemLines(problems: ConfigProblems): { errors: string[]; warnings: string[] } {
  return {
    errors: problems.errors.map((p) => `${p.path}: ${p.message}`),
    warnings: problems.warnings.map((p) => `${p.path}: ${p.message}`),
  };
}

/** For tests: read the section `json`, found at `path`, with `read`; the result and the problems as `path: message` lines. */
export function readSection<T>(json: Record<string, unknown>, path: string, read: (r: ConfigReader) => T): { result: T; errors: string[]; warnings: string[] } {
  const problems = new ConfigProblems();
  const result = read(new ConfigReader(json, path, problems));
  return { result, ...problemLines(problems) };
}

/** For tests: the specs of `cluster_manager.clusters` (JSON), by name, as a reader of routes or filters sees them. */
export function clusterSpecs(ext: Extensions, clusters: unknown[]): Map<string, ClusterSpec> {
  const problems = new ConfigProblems();
  const specs = readClusterManager(new ConfigReader({ clusters }, 'cluster_manager', problems), ext);
  if (problems.errors.length > 0) throw new Error(problemLines(problems).errors.join('\n'));
  return new Map(specs.map((c) => [c.name, c]));
}
