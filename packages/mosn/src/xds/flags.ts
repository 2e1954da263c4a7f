import type { ParseArgsConfig } from 'node:util';

/**
 * MOSN's command-line flags for xDS: who this proxy is to the control plane (the xDS node). As MOSN, each falls
 * back to an environment variable (the names MOSN's `mosn start` reads: `SERVICE_NODE`, `POD_IP`, ...), so that
 * a sidecar injector can set them either way. `readXdsBootstrap` applies them over the config's `node`.
 */
export interface XdsFlags {
  /** `--service-node`: the node id (wins over the one built from `serviceType`). */
  readonly serviceNode?: string;
  /** `--service-cluster`: the node's cluster. */
  readonly serviceCluster?: string;
  /** `--service-type`: `sidecar` or `router` builds an Istio node id from the pod flags. */
  readonly serviceType?: string;
  readonly podIp?: string;
  readonly podName?: string;
  readonly podNamespace?: string;
  /** `--cluster-domain`: the last part of an Istio node id (`<namespace>.svc.cluster.local`). */
  readonly clusterDomain?: string;
  /** `--service-meta key:value`, repeatable: Istio node metadata (`IstioVersion`, `ClusterID`, `InterceptionMode`). */
  readonly serviceMeta: readonly string[];
  /** `--service-lables key:value` (MOSN's spelling) or `--service-labels`, repeatable: the node's `LABELS`. */
  readonly serviceLabels: readonly string[];
}

/**
 * The flags for `node:util`'s `parseArgs`, with MOSN's aliases (`--sm`, `--sl`, `--domain`, `--pns`, `--pn`,
 * `--pi`: MOSN's CLI library takes a multi-letter alias after one or two dashes; here, after two).
 */
export const XDS_FLAG_OPTIONS = {
  'service-node': { type: 'string', short: 'n' },
  'service-cluster': { type: 'string', short: 's' },
  'service-type': { type: 'string', short: 'p' },
  'pod-ip': { type: 'string' },
  pi: { type: 'string' },
  'pod-name': { type: 'string' },
  pn: { type: 'string' },
  'pod-namespace': { type: 'string' },
  pns: { type: 'string' },
  'cluster-domain': { type: 'string' },
  domain: { type: 'string' },
  'service-meta': { type: 'string', multiple: true },
  sm: { type: 'string', multiple: true },
  'service-lables': { type: 'string', multiple: true },
  'service-labels': { type: 'string', multiple: true },
  sl: { type: 'string', multiple: true },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** The lines `mosn --help` shows for these flags. */
export const XDS_HELP = `xDS (with dynamic_resources and static_resources in the config; each flag falls back to
the environment variable in brackets, as in MOSN):
  -n, --service-node <id>     the xDS node id [SERVICE_NODE]
  -s, --service-cluster <c>   the xDS node cluster [SERVICE_CLUSTER]
  -p, --service-type <type>   sidecar or router: without -n, the node id is
                              <type>~<pod-ip>~<pod-name>.<pod-namespace>~<cluster-domain> [SERVICE_TYPE]
      --pod-ip <ip>           [POD_IP]
      --pod-name <name>       [POD_NAME]
      --pod-namespace <ns>    [POD_NAMESPACE]
      --cluster-domain <d>    e.g. default.svc.cluster.local [CLUSTER_DOMAIN]
      --service-meta <k:v>    Istio node metadata: IstioVersion, ClusterID or InterceptionMode;
                              repeatable [SERVICE_META, comma-separated]
      --service-labels <k:v>  a node label (LABELS); repeatable; MOSN spells it --service-lables,
                              which works too [SERVICE_LAB, comma-separated]
  MOSN's short aliases work too: --pi, --pn, --pns, --domain, --sm, --sl.
`;

type ParsedValues = Readonly<Record<string, string | boolean | ReadonlyArray<string | boolean> | undefined>>;
type Env = Readonly<Record<string, string | undefined>>;

/**
 * The xDS flags among `parseArgs` values (parsed with `XDS_FLAG_OPTIONS`), each falling back to its environment
 * variable. An empty value counts as not given, as in MOSN. A repeatable flag's variable holds a comma-separated
 * list; a flag given on the command line replaces its variable.
 */
export function xdsFlagsFromArgs(values: ParsedValues, env: Env = {}): XdsFlags {
  const one = (names: readonly string[], variable: string): string | undefined => {
    for (const n of names) {
      const v = values[n];
      if (typeof v === 'string' && v !== '') return v;
    }
    const e = env[variable];
    return e === undefined || e === '' ? undefined : e;
  };
  const many = (names: readonly string[], variable: string): string[] => {
    const out = names.flatMap((n) => {
      const v = values[n];
      return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : typeof v === 'string' && v !== '' ? [v] : [];
    });
    if (out.length > 0) return out;
    return (env[variable] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  };
  const flags: { -readonly [K in keyof XdsFlags]: XdsFlags[K] } = {
    serviceMeta: many(['service-meta', 'sm'], 'SERVICE_META'),
    serviceLabels: many(['service-lables', 'service-labels', 'sl'], 'SERVICE_LAB'),
  };
  const set = (key: Exclude<keyof XdsFlags, 'serviceMeta' | 'serviceLabels'>, value: string | undefined) => {
    if (value !== undefined) flags[key] = value;
  };
  set('serviceNode', one(['service-node'], 'SERVICE_NODE'));
  set('serviceCluster', one(['service-cluster'], 'SERVICE_CLUSTER'));
  set('serviceType', one(['service-type'], 'SERVICE_TYPE'));
  set('podIp', one(['pod-ip', 'pi'], 'POD_IP'));
  set('podName', one(['pod-name', 'pn'], 'POD_NAME'));
  set('podNamespace', one(['pod-namespace', 'pns'], 'POD_NAMESPACE'));
  set('clusterDomain', one(['cluster-domain', 'domain'], 'CLUSTER_DOMAIN'));
  return flags;
}

/** No flags given: the bootstrap's `node` as the file has it. */
export const NO_XDS_FLAGS: XdsFlags = Object.freeze({ serviceMeta: [], serviceLabels: [] });
