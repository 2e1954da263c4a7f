import { existsSync, readFileSync } from 'node:fs';
import { messageFromJson, messageType } from '@mosn/xds';
import type { ConfigProblems } from '../config/config-reader.js';
import type { XdsBootstrapOptions, XdsNode } from './bootstrap.js';
import { field, isObject } from './bootstrap-json.js';
import type { XdsFlags } from './flags.js';

/** The xDS node of MOSN's bootstrap: the config's `node`, with MOSN's CLI flags over it. */

/** Where Istio's injector mounts the pod's labels (`key="value"` lines); MOSN adds them to the node metadata. */
export const ISTIO_POD_LABELS = '/etc/istio/pod/labels';
/**
 * The `ISTIO_VERSION` MOSN sends when it builds the node metadata from flags: MOSN's own placeholder (set at build
 * time in MOSN's releases). Istio reads a version it cannot parse as the newest.
 */
export const ISTIO_VERSION = 'unknow';

const NODE = 'envoy.config.core.v3.Node';
/** The fields of the Istio node metadata a `--service-meta` entry may set, by MOSN's names (Go field names) and the JSON keys. */
const META_KEYS: Readonly<Record<string, string>> = {
  IstioVersion: 'ISTIO_VERSION',
  ISTIO_VERSION: 'ISTIO_VERSION',
  ClusterID: 'CLUSTER_ID',
  CLUSTER_ID: 'CLUSTER_ID',
  InterceptionMode: 'INTERCEPTION_MODE',
  INTERCEPTION_MODE: 'INTERCEPTION_MODE',
};

/** The node: the config's `node`, with the flags over it as MOSN applies them (`istio1106.InitXdsInfo`). */
export function readNode(json: unknown, flags: XdsFlags, problems: ConfigProblems, options: XdsBootstrapOptions | undefined): XdsNode {
  let id = '';
  let cluster = '';
  let metadata: Record<string, unknown> = {};
  let locality: XdsNode['locality'];
  if (json !== undefined && json !== null) {
    // MOSN reads the node leniently (unknown fields allowed); a problem here is a warning
    const { value, problems: found } = messageFromJson(NODE, json, 'node');
    for (const p of found) problems.warn(p.path, `${p.message}; ignored`);
    if (typeof value.id === 'string') id = value.id;
    if (typeof value.cluster === 'string') cluster = value.cluster;
    const rawMetadata = isObject(json) ? json.metadata : undefined;
    if (value.metadata !== undefined && isObject(rawMetadata)) metadata = structuredClone(rawMetadata);
    if (isObject(value.locality)) locality = value.locality as XdsNode['locality'];
    const oneofs = Object.keys(messageType(NODE).oneofs ?? {});
    for (const key of Object.keys(value)) {
      if (!['id', 'cluster', 'metadata', 'locality', ...oneofs].includes(key)) problems.warn(`node.${key}`, 'not used by MOSN; ignored');
    }
  }

  let serviceNode = flags.serviceNode;
  if (serviceNode === undefined && flags.serviceType !== undefined) {
    if (flags.serviceType === 'sidecar' || flags.serviceType === 'router') {
      const missing = (['podIp', 'podName', 'podNamespace', 'clusterDomain'] as const).filter((k) => flags[k] === undefined);
      serviceNode = `${flags.serviceType}~${flags.podIp ?? ''}~${flags.podName ?? ''}.${flags.podNamespace ?? ''}~${flags.clusterDomain ?? ''}`;
      if (missing.length > 0) {
        const names = missing.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
        problems.warn('--service-type', `the node id "${serviceNode}" lacks ${names.join(', ')} (not given, nor in the environment)`);
      }
    } else {
      problems.warn('--service-type', `"${flags.serviceType}" is neither sidecar nor router: MOSN then takes the node from the config alone`);
    }
  }
  if (serviceNode === undefined) {
    const given = [flags.serviceCluster !== undefined && '--service-cluster', flags.serviceMeta.length > 0 && '--service-meta', flags.serviceLabels.length > 0 && '--service-lables'].filter((x): x is string => x !== false);
    if (given.length > 0) problems.warn(given[0]!, `${given.join(', ')} ignored: MOSN applies them with --service-node or --service-type sidecar|router only`);
    if (id === '') problems.warn('node.id', 'is empty: the control plane may not know this proxy; give node.id, --service-node, or --service-type sidecar with the pod flags');
    return { id, cluster, metadata, ...(locality ? { locality } : {}) };
  }
  id = serviceNode;
  if (flags.serviceCluster !== undefined) cluster = flags.serviceCluster;
  if (flags.serviceMeta.length > 0 || flags.serviceLabels.length > 0) {
    if (Object.keys(metadata).length > 0) problems.warn('node.metadata', 'replaced by the metadata --service-meta and --service-lables build, as MOSN does');
    metadata = flagMetadata(flags, options?.podLabels ?? readPodLabels(ISTIO_POD_LABELS), problems);
  }
  return { id, cluster, metadata, ...(locality ? { locality } : {}) };
}

/** The Istio node metadata MOSN builds from `--service-meta` and `--service-lables` (and the pod's labels). */
function flagMetadata(flags: XdsFlags, podLabels: Readonly<Record<string, string>>, problems: ConfigProblems): Record<string, unknown> {
  const meta: Record<string, unknown> = { ISTIO_VERSION, INTERCEPTION_MODE: 'REDIRECT', CLUSTER_ID: 'Kubernetes' };
  let labels: Record<string, string> = { istio: 'ingressgateway' };
  if (flags.serviceLabels.length > 0) {
    labels = {};
    for (const entry of flags.serviceLabels) {
      const kv = keyValue(entry);
      if (kv) labels[kv[0]] = kv[1];
      else problems.warn('--service-lables', `"${entry}" is not key:value; ignored`);
    }
  }
  Object.assign(labels, podLabels);
  for (const entry of flags.serviceMeta) {
    const kv = keyValue(entry);
    const key = kv && META_KEYS[kv[0]];
    if (kv && key) meta[key] = kv[1];
    else problems.warn('--service-meta', kv ? `"${kv[0]}" is not one MOSN sets (IstioVersion, ClusterID, InterceptionMode); ignored` : `"${entry}" is not key:value; ignored`);
  }
  if (Object.keys(labels).length > 0) meta.LABELS = labels;
  // as Go's omitempty drops them
  for (const [k, v] of Object.entries(meta)) if (v === '') delete meta[k];
  return meta;
}

function keyValue(entry: string): [string, string] | undefined {
  const i = entry.indexOf(':');
  return i < 0 ? undefined : [entry.slice(0, i), entry.slice(i + 1)];
}

/** The pod's labels from Istio's downward-API file (`key="value"` lines); none when there is no such file. */
export function readPodLabels(path: string): Record<string, string> {
  const labels: Record<string, string> = {};
  if (!existsSync(path)) return labels;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return labels;
  }
  for (const line of text.split('\n')) {
    const clean = line.replaceAll('"', '');
    const i = clean.indexOf('=');
    if (i >= 0) labels[clean.slice(0, i)] = clean.slice(i + 1);
  }
  return labels;
}
