/**
 * mosn: the runtime of mosn-ts. Reads MOSN's config, registers every extension in one place, binds the
 * listeners, serves the admin API, applies config changes while running, and stops gracefully.
 */
export { Mosn, type ApplyResult, type MosnOptions, type Stage } from './mosn.js';
export { planChanges, describeChange, type Change } from './runtime/plan.js';
export type { MosnSection } from './runtime/config-edit.js';
export { ConfigProblems, ConfigReader, parseDuration, type ConfigProblem } from './config/config-reader.js';
export { DEFAULT_GRACEFUL_TIMEOUT_MS, LOG_LEVELS, logSettings, readConfig } from './config/read-config.js';
export type { ClusterSpec, ListenerSpec, MosnConfig, NetworkFilterSpec, RouterSpec, StreamFilterSpec } from './config/types.js';
export type { StreamFilterBuildContext, StreamFilterExtension, StreamFilterPlugin } from './stream-filters/index.js';
export type { ProxyFilterSpec } from './filters/proxy.js';
export { loadConfigFile } from './config/load.js';
export { codecFor, defaultExtensions, type Extensions, type FilterBuildContext, type FilterReadContext, type NetworkFilterExtension } from './extensions.js';
export { createLogger } from './logger.js';
export type { LogControl } from './admin/types.js';
export { loadThirdPartCodecs } from './plugins.js';
export { loadThirdPartStreamFilters } from './stream-filters/index.js';
/**
 * From @mosn/proxy (and through it the layers below): the stream filter API that filter packages are written
 * against (their only dependency is mosn), and what embedders and tests use. Add a name when they need one.
 */
export {
  type Address,
  type HeaderMap,
  IoBuffer,
  isDecodeError,
  Listener,
  type LocalReplyHeaders,
  type Logger,
  type MirrorOptions,
  MosnError,
  type ResponseDataResult,
  type RoutingVariable,
  rpcPoolFactory,
  type RpcResponseReceiver,
  silentLogger,
  SimpleHeaderMap,
  type StreamFilter,
  type StreamFilterFactory,
  type StreamFilterHandler,
  type StreamFilterPhase,
  type StreamFilterStatus,
  type StreamResetReason,
  XConnectionPool,
  type XFrame,
  type XProtocolCodec,
} from '@mosn/proxy';
