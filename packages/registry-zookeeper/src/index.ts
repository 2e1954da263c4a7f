export { ZkSession, type RegistryLogger, type ZkSessionOptions } from './zk-session.js';
export {
  LAYOUT_ROOT,
  consumersPath,
  dubboProviderUrl,
  parseProvider,
  providerMatches,
  providerNode,
  providersPath,
  sofaProviderUrl,
  type Provider,
  type ProviderFilter,
  type RegistryLayout,
} from './provider-url.js';
