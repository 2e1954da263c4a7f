import { messageFromJson, type Message } from '@mosn/xds';
import type { ConfigProblems } from '../config/config-reader.js';

/** Small readers of the bootstrap's Envoy JSON (proto3 JSON mapping: snake_case or lowerCamelCase keys). */

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function camel(name: string): string {
  return name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** A proto JSON key given in snake_case or lowerCamelCase. */
export function field(obj: Json, name: string): unknown {
  return obj[name] ?? obj[camel(name)];
}

/** Convert with `messageFromJson`, every problem an error (MOSN's parser refuses the whole bootstrap on one). */
export function convert(typeName: string, json: unknown, path: string, problems: ConfigProblems): Message {
  const { value, problems: found } = messageFromJson(typeName, json, path);
  for (const p of found) problems.error(p.path, p.message);
  return value;
}

/** A decoded `google.protobuf.Duration` in milliseconds. */
export function durationMs(d: unknown): number | undefined {
  if (!isObject(d)) return undefined;
  return Number(d.seconds ?? 0) * 1000 + Number(d.nanos ?? 0) / 1e6;
}

/** A JSON array's entries with their paths; a problem (and none) when it is not an array. */
export function array(json: unknown, path: string, problems: ConfigProblems): Array<{ value: unknown; path: string }> {
  if (json === undefined || json === null) return [];
  if (!Array.isArray(json)) {
    problems.error(path, 'expected an array');
    return [];
  }
  return json.map((value, i) => ({ value, path: `${path}[${i}]` }));
}
