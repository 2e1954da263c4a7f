import { MosnError } from '@mosn/proxy';

/** One problem found in a config: where (a JSON path such as `servers[0].listeners[1].address`) and what. */
export interface ConfigProblem {
  path: string;
  message: string;
}

/** Every error and warning found while reading a config; reading goes on after an error. */
export class ConfigProblems {
  readonly errors: ConfigProblem[] = [];
  readonly warnings: ConfigProblem[] = [];
  error(path: string, message: string): void {
    this.errors.push({ path, message });
  }
  warn(path: string, message: string): void {
    this.warnings.push({ path, message });
  }
  /** Throw one MOSN_ERR_CONFIG listing every error. */
  throwIfAny(): void {
    if (this.errors.length === 0) return;
    const lines = this.errors.map((e) => `  ${e.path}: ${e.message}`).join('\n');
    throw new MosnError('MOSN_ERR_CONFIG', `invalid config (${this.errors.length} problem(s)):\n${lines}`);
  }
}

type Opt = { required?: boolean };

/**
 * How a reader matches the keys it is asked for: `go` as Go's encoding/json reads MOSN's own sections (case-insensitive:
 * `"Name"` reads as `name`); `proto` as the protobuf JSON mapping reads an Envoy message embedded in MOSN's config
 * (`local_jwks` or `localJwks`), and case-insensitive as well.
 */
export type KeyStyle = 'go' | 'proto';

function keyOf(key: string, style: KeyStyle): string {
  const lower = key.toLowerCase();
  return style === 'proto' ? lower.replaceAll('_', '') : lower;
}

function typeName(v: unknown): string {
  if (v === undefined) return 'nothing (an empty document?)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  const text = JSON.stringify(v) ?? String(v);
  return `${typeof v} ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`;
}

/**
 * Reads one object of a config with its JSON path. Keys match case-insensitively, as Go's encoding/json
 * does for MOSN (`"Name"` reads as `name`); a reader of `proto` key style also takes an Envoy message's
 * lowerCamelCase spelling. Every key read is remembered: `finish()` warns about the rest.
 */
export class ConfigReader {
  readonly path: string;
  readonly problems: ConfigProblems;
  readonly raw: Record<string, unknown>;
  /** How keys match; readers of the objects inside this one match the same way. */
  readonly keyStyle: KeyStyle;
  #keys = new Map<string, string>();
  /** Keys that differ only in case from a later key: Go's encoding/json lets the last one win. */
  #shadowed = new Map<string, string>();
  #used = new Set<string>();

  constructor(raw: Record<string, unknown>, path: string, problems: ConfigProblems, keyStyle: KeyStyle = 'go') {
    this.raw = raw;
    this.path = path;
    this.problems = problems;
    this.keyStyle = keyStyle;
    for (const k of Object.keys(raw)) {
      const key = keyOf(k, keyStyle);
      const prev = this.#keys.get(key);
      if (prev !== undefined) this.#shadowed.set(prev, k);
      this.#keys.set(key, k);
    }
  }

  /** A reader on `value`, or undefined (with an error) when it is not an object. */
  static of(value: unknown, path: string, problems: ConfigProblems, keyStyle: KeyStyle = 'go'): ConfigReader | undefined {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.error(path === '' ? '(root)' : path, `expected an object, got ${typeName(value)}`);
      return undefined;
    }
    return new ConfigReader(value as Record<string, unknown>, path, problems, keyStyle);
  }

  /** A reader of the same object that matches keys in `keyStyle` (nothing read through this one counts as read here). */
  withKeyStyle(keyStyle: KeyStyle): ConfigReader {
    return new ConfigReader(this.raw, this.path, this.problems, keyStyle);
  }

  at(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  has(key: string): boolean {
    return this.#keys.has(keyOf(key, this.keyStyle));
  }

  /** Whether a key is present with a value other than null (without marking it read). */
  isSet(key: string): boolean {
    const k = this.#keys.get(keyOf(key, this.keyStyle));
    return k !== undefined && this.raw[k] !== null && this.raw[k] !== undefined;
  }

  /** The raw value of a key (marking it read). */
  value(key: string): unknown {
    const k = this.#keys.get(keyOf(key, this.keyStyle));
    if (k === undefined) return undefined;
    this.#used.add(k);
    return this.raw[k];
  }

  #missing(key: string, o: Opt | undefined, what: string): undefined {
    if (o?.required) this.problems.error(this.at(key), `is required: expected ${what}`);
    return undefined;
  }

  str(key: string, o?: Opt & { oneOf?: readonly string[]; nonEmpty?: boolean }): string | undefined {
    const v = this.value(key);
    if (v === undefined || v === null) return this.#missing(key, o, 'a string');
    if (typeof v !== 'string') {
      this.problems.error(this.at(key), `expected a string, got ${typeName(v)}`);
      return undefined;
    }
    if (o?.nonEmpty && v === '') {
      this.problems.error(this.at(key), 'expected a non-empty string');
      return undefined;
    }
    if (o?.oneOf && !o.oneOf.some((x) => x.toLowerCase() === v.toLowerCase())) {
      this.problems.error(this.at(key), `"${v}" is not one of: ${o.oneOf.join(', ')}`);
      return undefined;
    }
    return v;
  }

  num(key: string, o?: Opt & { min?: number; max?: number; integer?: boolean }): number | undefined {
    const v = this.value(key);
    if (v === undefined || v === null) return this.#missing(key, o, 'a number');
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.problems.error(this.at(key), `expected a number, got ${typeName(v)}`);
      return undefined;
    }
    if ((o?.integer ?? true) && !Number.isInteger(v)) {
      this.problems.error(this.at(key), `expected an integer, got ${v}`);
      return undefined;
    }
    if ((o?.min !== undefined && v < o.min) || (o?.max !== undefined && v > o.max)) {
      this.problems.error(this.at(key), `expected a number from ${o?.min ?? '-∞'} to ${o?.max ?? '∞'}, got ${v}`);
      return undefined;
    }
    return v;
  }

  bool(key: string, o?: Opt): boolean | undefined {
    const v = this.value(key);
    if (v === undefined || v === null) return this.#missing(key, o, 'true or false');
    if (typeof v !== 'boolean') {
      this.problems.error(this.at(key), `expected true or false, got ${typeName(v)}`);
      return undefined;
    }
    return v;
  }

  /**
   * A duration in milliseconds: a Go duration string (`"1m30s"`, `"500ms"`, `"10s"`). A bare number is
   * read as `numberUnit` (MOSN reads some numbers as nanoseconds, some as seconds); a number of nanoseconds
   * under a millisecond is almost always seconds or milliseconds meant, so it gets a warning.
   */
  duration(key: string, o?: Opt & { numberUnit?: 'ns' | 's' | 'ms' }): number | undefined {
    const v = this.value(key);
    if (v === undefined || v === null || v === '') return this.#missing(key, o, 'a duration such as "10s"');
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) {
      const unit = o?.numberUnit ?? 'ns';
      if (unit === 'ns' && v > 0 && v < 1e6) {
        this.problems.warn(this.at(key), `${v} is read as nanoseconds (${v}ns), as MOSN does; did you mean "${v}s" or "${v}ms"?`);
      }
      return unit === 'ns' ? v / 1e6 : unit === 's' ? v * 1000 : v;
    }
    if (typeof v === 'string') {
      const ms = parseDuration(v);
      if (ms !== undefined) return ms;
    }
    this.problems.error(this.at(key), `expected a duration such as "10s", "500ms" or "1m30s", got ${typeName(v)}`);
    return undefined;
  }

  obj(key: string, o?: Opt): ConfigReader | undefined {
    const v = this.value(key);
    if (v === undefined || v === null) return this.#missing(key, o, 'an object');
    return ConfigReader.of(v, this.at(key), this.problems, this.keyStyle);
  }

  /** Each element of an array, with its path (`key[i]`). */
  arr(key: string, o?: Opt & { nonEmpty?: boolean }): Array<{ value: unknown; path: string }> {
    const v = this.value(key);
    if (v === undefined || v === null) {
      this.#missing(key, o, 'an array');
      return [];
    }
    if (!Array.isArray(v)) {
      this.problems.error(this.at(key), `expected an array, got ${typeName(v)}`);
      return [];
    }
    if (o?.nonEmpty && v.length === 0) this.problems.error(this.at(key), 'expected a non-empty array');
    return v.map((value, i) => ({ value, path: `${this.at(key)}[${i}]` }));
  }

  /** Each element of an array that is an object, as a reader. */
  objects(key: string, o?: Opt & { nonEmpty?: boolean }): ConfigReader[] {
    const out: ConfigReader[] = [];
    for (const e of this.arr(key, o)) {
      const r = ConfigReader.of(e.value, e.path, this.problems, this.keyStyle);
      if (r) out.push(r);
    }
    return out;
  }

  /** Array of strings. */
  strings(key: string, o?: Opt): string[] {
    const out: string[] = [];
    for (const e of this.arr(key, o)) {
      if (typeof e.value === 'string') out.push(e.value);
      else this.problems.error(e.path, `expected a string, got ${typeName(e.value)}`);
    }
    return out;
  }

  /** Keys we know but do not act on: read, with a warning that they are ignored. */
  ignore(keys: readonly string[], why = 'not supported by mosn-ts yet; ignored'): void {
    for (const k of keys) {
      const v = this.value(k);
      if (v !== undefined && v !== null && !isEmpty(v)) this.problems.warn(this.at(k), why);
    }
  }

  /**
   * Keys that have no effect here and need no warning: MOSN itself does not use them, or they only
   * matter with a feature that is off (TLS settings with `status: false`). Read, so `finish()` is quiet.
   */
  inert(keys: readonly string[]): void {
    for (const k of keys) this.value(k);
  }

  /** Keys to refuse: set and non-empty is an error, since skipping them would change behaviour. */
  refuse(keys: readonly string[], why = 'is not supported by mosn-ts yet'): void {
    for (const k of keys) {
      const v = this.value(k);
      if (v !== undefined && v !== null && !isEmpty(v)) this.problems.error(this.at(k), why);
    }
  }

  /**
   * Warn about every key that nothing read; with `unknown: 'error'`, a key the reader does not know is an error
   * (MOSN reads Envoy messages with jsonpb, which refuses unknown fields).
   */
  finish(o?: { unknown?: 'warn' | 'error' }): void {
    for (const k of Object.keys(this.raw)) {
      if (this.#used.has(k)) continue;
      const winner = this.#shadowed.get(k);
      if (winner !== undefined) this.problems.warn(this.at(k), `ignored: ${this.keyStyle === 'proto' ? 'it names the same field as' : 'keys match case-insensitively and'} the later "${winner}"${this.keyStyle === 'proto' ? ', which' : ''} wins`);
      else if (o?.unknown === 'error') this.problems.error(this.at(k), 'unknown key');
      else this.problems.warn(this.at(k), 'unknown key; ignored');
    }
  }
}

/** `text` (read from `r`'s `key`) as a regular expression; an error at that key when it is not one. */
export function compileRegex(r: ConfigReader, key: string, text: string | undefined): RegExp | undefined {
  if (text === undefined) return undefined;
  try {
    return new RegExp(text);
  } catch (e) {
    r.problems.error(r.at(key), `invalid regular expression: ${(e as Error).message}`);
    return undefined;
  }
}

function isEmpty(v: unknown): boolean {
  if (v === false || v === '' || v === 0) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).length === 0;
  return false;
}

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parse a Go duration string (`time.ParseDuration`: `"1h30m"`, `"1.5s"`, `".5s"`, `"+10s"`, `"0"`) into
 * milliseconds; undefined when it is not one, or when it is negative (no MOSN duration may be).
 */
export function parseDuration(text: string): number | undefined {
  if (text === '0' || text === '+0') return 0;
  const re = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let pos = text.startsWith('+') ? 1 : 0;
  const start = pos;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  return pos === start ? undefined : total;
}
