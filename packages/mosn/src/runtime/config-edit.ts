import { MosnError } from '@mosn/proxy';

/**
 * Edits of a MOSN JSON document, for the in-process API: add, replace or remove one listener, router or cluster,
 * or set a cluster's hosts. Each returns a new document (the given one is not changed); the result is then read
 * and applied like any other config, so it is checked whole, with JSON paths.
 */

/** A cluster, router or listener as MOSN writes it: a JSON object with its name (other keys as in MOSN). */
export type MosnSection = Record<string, unknown>;

type Doc = Record<string, unknown>;

/** Which list a kind of section lives in, and the key that names an entry. */
const PLACES = {
  cluster: { path: ['cluster_manager', 'clusters'], nameKey: 'name' },
  router: { path: ['servers', 0, 'routers'], nameKey: 'router_config_name' },
  listener: { path: ['servers', 0, 'listeners'], nameKey: 'name' },
} as const;

export type SectionKind = keyof typeof PLACES;

/** `doc` with `section` added to its kind's list, or in place of the entry of the same name. */
export function upsertSection(doc: unknown, kind: SectionKind, section: MosnSection): Doc {
  const out = clone(doc);
  upsertInPlace(out, kind, section);
  return out;
}

/** Sections of each kind, as a dynamic source (xDS) adds them to the file's config. */
export type SectionLayer = { readonly [K in SectionKind as `${K}s`]: readonly MosnSection[] };

/**
 * A dynamic source's sections, or a function that makes them from the base document (the file's config) of each
 * apply: for a source whose sections extend the file's own (the registry adds routes to the file's `dubbo` router),
 * so that a reload of the file is followed without the source having to watch it.
 */
export type LayerSource = SectionLayer | ((base: unknown) => SectionLayer);

/** The layer's sections over `base`. */
export function resolveLayer(layer: LayerSource, base: unknown): SectionLayer {
  return typeof layer === 'function' ? layer(base) : layer;
}

/** The section of that kind and name in `doc` (a copy), or undefined. */
export function findSection(doc: unknown, kind: SectionKind, name: string): MosnSection | undefined {
  if (doc === null || typeof doc !== 'object') return undefined;
  const found = listOf(doc as Doc, kind, false)?.find((e) => entryName(kind, e) === name);
  return found !== null && typeof found === 'object' && !Array.isArray(found) ? (structuredClone(found) as MosnSection) : undefined;
}

/** `doc` with every section of the layers added, or in place of the entry of the same name (later layers win). */
export function withLayers(doc: unknown, layers: Iterable<SectionLayer>): Doc {
  const out = clone(doc);
  for (const layer of layers) {
    for (const kind of Object.keys(PLACES) as SectionKind[]) {
      listOf(out, kind, true); // an empty list of each kind, so that a config of only dynamic sections reads
      for (const section of layer[`${kind}s`]) upsertInPlace(out, kind, section);
    }
  }
  return out;
}

function upsertInPlace(doc: Doc, kind: SectionKind, section: MosnSection): void {
  const name = sectionName(kind, section);
  const list = listOf(doc, kind, true)!;
  const i = list.findIndex((e) => entryName(kind, e) === name);
  if (i >= 0) list[i] = section;
  else list.push(section);
}

/** `doc` without the entry of that name; a MOSN_ERR_CONFIG_EDIT error when there is none. */
export function removeSection(doc: unknown, kind: SectionKind, name: string): Doc {
  const out = clone(doc);
  const list = listOf(out, kind, false);
  const i = list?.findIndex((e) => entryName(kind, e) === name) ?? -1;
  if (!list || i < 0) throw new MosnError('MOSN_ERR_CONFIG_EDIT', `there is no ${kind} named "${name}" to remove`);
  list.splice(i, 1);
  return out;
}

/** `doc` with the `hosts` of cluster `name` replaced (MOSN's host objects: `{ "address": "ip:port", "weight": 1 }`). */
export function setSectionHosts(doc: unknown, name: string, hosts: readonly MosnSection[]): Doc {
  const out = clone(doc);
  const cluster = listOf(out, 'cluster', false)?.find((e) => entryName('cluster', e) === name);
  if (!cluster || typeof cluster !== 'object') throw new MosnError('MOSN_ERR_CONFIG_EDIT', `there is no cluster named "${name}"`);
  const c = cluster as Doc;
  c[keyIn(c, 'hosts') ?? 'hosts'] = [...hosts];
  return out;
}

function sectionName(kind: SectionKind, section: MosnSection): string {
  const name = entryName(kind, section);
  if (name === undefined || name === '') throw new MosnError('MOSN_ERR_CONFIG_EDIT', `a ${kind} needs a non-empty "${PLACES[kind].nameKey}"`);
  return name;
}

function entryName(kind: SectionKind, e: unknown): string | undefined {
  if (e === null || typeof e !== 'object') return undefined;
  const key = keyIn(e as Doc, PLACES[kind].nameKey);
  const v = key === undefined ? undefined : (e as Doc)[key];
  return typeof v === 'string' ? v : undefined;
}

/** The list a kind of section lives in, made on the way when `create`. */
function listOf(doc: Doc, kind: SectionKind, create: boolean): unknown[] | undefined {
  let at: unknown = doc;
  const path = PLACES[kind].path;
  for (let i = 0; i < path.length; i++) {
    const step = path[i]!;
    const last = i === path.length - 1;
    if (typeof step === 'number') {
      if (!Array.isArray(at)) return undefined;
      if (at[step] === undefined && create) at[step] = {};
      at = at[step];
      continue;
    }
    if (at === null || typeof at !== 'object' || Array.isArray(at)) return undefined;
    const o = at as Doc;
    const key = keyIn(o, step);
    if (key === undefined) {
      if (!create) return undefined;
      o[step] = last ? [] : path[i + 1] === 0 ? [] : {};
    }
    at = o[key ?? step];
  }
  return Array.isArray(at) ? at : undefined;
}

/** The key of `o` that reads as `name` (keys match case-insensitively in MOSN, as Go's encoding/json does). */
function keyIn(o: Doc, name: string): string | undefined {
  if (name in o) return name;
  return Object.keys(o).findLast((k) => k.toLowerCase() === name);
}

function clone(doc: unknown): Doc {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return {};
  return structuredClone(doc) as Doc;
}
