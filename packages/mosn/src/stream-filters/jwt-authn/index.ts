import type { StreamFilterExtension } from '../types.js';
import { jwtAuthnFilterFactory } from './filter.js';
import { readJwtAuthn } from './read-config.js';
import type { JwtAuthnConfig } from './types.js';

/**
 * `jwt_authn` (MOSN's istio/istio1106/filter/stream/jwtauthn): Envoy's JwtAuthentication message as the config,
 * checked when the config is read; the filter runs after the route and does not take a route's config (MOSN's
 * does not read one either).
 */
export const jwtAuthnFilter: StreamFilterExtension<JwtAuthnConfig> = {
  perRoute: false,
  read: readJwtAuthn,
  build: (config, ctx) => jwtAuthnFilterFactory(config, ctx),
};

export type { JwtAuthnConfig } from './types.js';
