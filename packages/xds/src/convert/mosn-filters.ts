import type { AnyMessage } from '../proto.js';
import type { ConvertContext, MosnJson } from './context.js';
import type { ListenerRoute } from './hcm.js';
import { structToJson } from './struct.js';

/** The TypedStruct messages (xds and udpa): a type URL and a Struct of the config. */
export const TYPED_STRUCT_TYPES = new Set(['xds.type.v3.TypedStruct', 'udpa.type.v1.TypedStruct']);

/** MOSN's own network filters that mosn-ts takes from xDS, by their names. */
const MOSN_FILTERS = new Set(['proxy']);

/** Whether a network filter is one of MOSN's own, carried as a TypedStruct (whatever type URL it holds). */
export function isMosnFilter(name: string, typedConfig: unknown): boolean {
  const url = (typedConfig as AnyMessage | undefined)?.type_url ?? '';
  return MOSN_FILTERS.has(name) && TYPED_STRUCT_TYPES.has(url.slice(url.lastIndexOf('/') + 1));
}

/**
 * A mosn-ts extension of xDS (MOSN's converter has none; Envoy has no filter for Bolt or Dubbo): a network filter
 * named `proxy` whose typed_config is a TypedStruct carries MOSN's `proxy` filter config as its `value`, so a
 * control plane can serve RPC listeners (`downstream_protocol: "bolt"`). Its `router_config_name` is taken by RDS.
 * The config is read by the runtime's `proxy` reader like any other.
 */
export function convertMosnFilter(name: string, typedConfig: AnyMessage | undefined, ctx: ConvertContext): { filter: MosnJson; route?: ListenerRoute } | undefined {
  const unpacked = ctx.at('typed_config').unpack(typedConfig);
  if (!unpacked) return undefined;
  const config = structToJson(unpacked.value['value']);
  const router = config['router_config_name'];
  if (typeof router !== 'string' || router === '') {
    ctx.at('typed_config.value.router_config_name').error(`MOSN's ${name} filter needs a router_config_name (its routes come by RDS)`);
    return undefined;
  }
  return { filter: { type: name, config }, route: { kind: 'rds', name: router } };
}
