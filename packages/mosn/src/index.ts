/**
 * mosn: the runtime of mosn-ts. Reads MOSN's config, registers every extension in one place, binds the
 * listeners, serves the admin API, and stops gracefully.
 */
export * from '@mosn/proxy';
export { Mosn, type MosnOptions, type Stage } from './mosn.js';
export { buildConfig, type BuiltConfig, type ListenerSpec } from './config/build.js';
export { loadConfigFile } from './config/load.js';
export { defaultExtensions, type Extensions, type FilterBuildContext, type NetworkFilterExtension } from './extensions.js';
export { createLogger } from './logger.js';
export { loadThirdPartCodecs } from './plugins.js';
