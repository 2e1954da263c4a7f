import { ClusterManager, RouterManager, Stats, silentLogger } from '@mosn/proxy';
import { ConfigProblems, ConfigReader } from '../config/config-reader.js';
import { problemLines } from '../config/testing.js';
import type { ClusterSpec, RouterSpec } from '../config/types.js';
import { defaultExtensions, type FilterBuildContext, type NetworkFilterExtension } from '../extensions.js';

/** The extensions the filters of these tests are read and built with. */
export const testExtensions = defaultExtensions();

/** For tests: read a filter's `config` (JSON) with `filter`, in a config whose clusters and routers are these names. */
export function readFilter<C>(filter: NetworkFilterExtension<C>, config: Record<string, unknown>, names: { clusters?: string[]; routers?: string[] } = {}) {
  const problems = new ConfigProblems();
  const clusters = new Map((names.clusters ?? []).map((n) => [n, { name: n } as ClusterSpec]));
  const routers = new Map((names.routers ?? []).map((n) => [n, { name: n } as RouterSpec]));
  const value = filter.read(new ConfigReader(config, 'f.config', problems), { extensions: testExtensions, clusters, routers, listenerName: 'l' });
  return { value, ...problemLines(problems) };
}

/** For tests: what building a filter of listener `l` gets, with empty managers. */
export function buildContext(): FilterBuildContext {
  return { clusters: new ClusterManager(), routers: new RouterManager(), extensions: testExtensions, stats: new Stats(), listenerName: 'l', logger: silentLogger };
}
