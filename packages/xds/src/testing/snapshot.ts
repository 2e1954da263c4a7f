import { decodeMessage } from '../proto.js';
import { CLUSTER_TYPE, LISTENER_TYPE, messageName } from '../type-urls.js';

/** A packed resource as a DiscoveryResponse carries it. */
export interface PackedResource {
  type_url: string;
  value: Buffer;
}

/** One resource of a snapshot: its name (absent when the bytes do not decode to a named message) and its bytes. */
export interface SnapshotEntry {
  readonly name: string | undefined;
  readonly any: PackedResource;
}

/** The resources of one type at one version, as the control plane serves them. */
export interface TypeSnapshot {
  readonly version: string;
  readonly entries: readonly SnapshotEntry[];
}

/**
 * Whether a type is subscribed to as a whole (state of the world for LDS and CDS: every response carries every
 * resource of the type), rather than by name (RDS and EDS: only the names a stream asked for).
 */
export function isWholeSetType(typeUrl: string): boolean {
  return typeUrl === LISTENER_TYPE || typeUrl === CLUSTER_TYPE;
}

/** The resources a response of this type carries for a stream subscribed to `names`. */
export function selectEntries(typeUrl: string, snapshot: TypeSnapshot, names: ReadonlySet<string>): SnapshotEntry[] {
  if (isWholeSetType(typeUrl)) return [...snapshot.entries];
  // an entry without a name (undecodable bytes of a fault test) goes to everyone: the fault is meant to arrive
  return snapshot.entries.filter((e) => e.name === undefined || names.has(e.name));
}

/**
 * The name of a packed resource, read from its bytes (`name`, or `cluster_name` for a ClusterLoadAssignment);
 * undefined when the bytes are not a message of a known type (a fault test's raw resource).
 */
export function nameOfPacked(any: PackedResource): string | undefined {
  try {
    const message = decodeMessage(messageName(any.type_url), any.value);
    const name = message['name'] ?? message['cluster_name'];
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}
