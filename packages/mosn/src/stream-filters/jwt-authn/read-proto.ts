import { fullMatch, re2ToJs } from '@mosn/xds';
import { parseDuration, type ConfigReader } from '../../config/config-reader.js';

/**
 * Readers of protobuf JSON values inside an Envoy message (Duration, BoolValue, RegexMatcher), each reporting
 * a bad value at its JSON path. Keys are read through a `proto` key-style reader (snake_case or lowerCamelCase).
 */

/**
 * A `google.protobuf.Duration` in milliseconds: `"1.5s"` (also any Go duration, `"500ms"`), or `{ "seconds": 1,
 * "nanos": 5e8 }`. Undefined when absent (an error when `required`) or bad.
 */
export function readDuration(r: ConfigReader, key: string, o?: { required?: boolean; minMs?: number }): number | undefined {
  const v = r.value(key);
  let ms: number | undefined;
  if (v === undefined || v === null) {
    if (o?.required) r.problems.error(r.at(key), 'is required: expected a duration such as "5s"');
    return undefined;
  }
  if (typeof v === 'string') ms = parseDuration(v);
  else if (typeof v === 'object' && !Array.isArray(v)) {
    const { seconds = 0, nanos = 0, ...rest } = v as Record<string, unknown>;
    const s = typeof seconds === 'string' && /^\d+$/.test(seconds) ? Number(seconds) : seconds;
    if (Object.keys(rest).length === 0 && typeof s === 'number' && typeof nanos === 'number' && s >= 0 && nanos >= 0) ms = s * 1000 + nanos / 1e6;
  }
  if (ms === undefined) {
    r.problems.error(r.at(key), `expected a duration such as "5s" or {"seconds": 5}, got ${JSON.stringify(v)}`);
    return undefined;
  }
  if (o?.minMs !== undefined && ms < o.minMs) {
    r.problems.error(r.at(key), `expected at least ${o.minMs} ms, got ${ms} ms`);
    return undefined;
  }
  return ms;
}

/** A `google.protobuf.BoolValue`: `true`, or `{ "value": true }`. */
export function readBoolValue(r: ConfigReader, key: string): boolean | undefined {
  const v = r.value(key);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'object' && !Array.isArray(v)) {
    const inner = (v as Record<string, unknown>).value;
    if (Object.keys(v).length === 0) return false;
    if (typeof inner === 'boolean' && Object.keys(v).length === 1) return inner;
  }
  r.problems.error(r.at(key), `expected true or false, got ${JSON.stringify(v)}`);
  return undefined;
}

/**
 * A `RegexMatcher` (`{ "regex": "...", "google_re2": {} }`) at `key`: its RE2 pattern as a JavaScript regex that
 * must match the whole value (Envoy's `safe_regex` is a full match). Undefined, with an error, when it cannot be.
 */
export function readRegexMatcher(r: ConfigReader, key: string): RegExp | undefined {
  const m = r.obj(key);
  if (!m) return undefined;
  const text = m.str('regex', { required: true, nonEmpty: true });
  m.inert(['google_re2']);
  m.finish({ unknown: 'error' });
  if (text === undefined) return undefined;
  const js = re2ToJs(text);
  if (js.error !== undefined) {
    m.problems.error(m.at('regex'), `${JSON.stringify(text)}: ${js.error}`);
    return undefined;
  }
  return new RegExp(fullMatch(js.source));
}

/**
 * The key of a protobuf `oneof` that is set: undefined when none is; an error when more than one is (jsonpb
 * refuses that too), and the first of them is read.
 */
export function oneOf<K extends string>(r: ConfigReader, keys: readonly K[]): K | undefined {
  const set = keys.filter((k) => r.isSet(k));
  if (set.length > 1) {
    r.problems.error(r.path, `only one of ${keys.join(', ')} may be set; found ${set.join(' and ')}`);
    r.inert(set.slice(1));
  }
  return set[0];
}

/**
 * Keys whose mere presence changes what Envoy does (`grpc: {}` matches gRPC requests only), refused when set:
 * an empty object counts, an empty list does not.
 */
export function refusePresent(r: ConfigReader, keys: readonly string[], why: string): void {
  for (const k of keys) {
    if (!r.isSet(k)) continue;
    const v = r.value(k);
    if (!(Array.isArray(v) && v.length === 0)) r.problems.error(r.at(k), why);
  }
}
