import protobuf from 'protobufjs';
import { messageType, TO_OBJECT, type Message } from './proto.js';

/** One problem found in a JSON message, at a path inside it (`static_resources.clusters[0].connect_timeout`). */
export interface JsonProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * Read a message given in Envoy's JSON (the proto3 JSON mapping, as in an Envoy bootstrap file) into the shape
 * `decodeMessage` gives: snake_case names, 64-bit integers and enums as strings, oneofs named, no defaults.
 * Takes field names in snake_case or lowerCamelCase; `Duration` as `"1.5s"` or `{seconds, nanos}`; wrappers as
 * bare values; `Struct` and `Value` as plain JSON; `Any` as `"@type"` beside the message's own fields; enums by
 * name or number; 64-bit integers as strings or numbers; bytes in base64. Every field that does not fit (unknown,
 * of the wrong type, an unknown enum name or `@type`) is a problem at its path and is left out; the rest is read.
 */
export function messageFromJson(typeName: string, json: unknown, path: string): { value: Message; problems: JsonProblem[] } {
  const problems: JsonProblem[] = [];
  const type = messageType(typeName);
  const plain = readMessage(type, json, path, problems) ?? {};
  // protobufjs builds the message, then the bytes go through the decoder: exactly the shape decodeMessage gives
  const bytes = type.encode(type.fromObject(plain)).finish();
  return { value: type.toObject(type.decode(bytes), TO_OBJECT) as Message, problems };
}

/**
 * A `google.protobuf.Duration` in JSON (`"1.5s"`, `"0.250s"`, or the `{ "seconds": 1, "nanos": 5e8 }` MOSN's
 * samples write) → milliseconds; undefined (with a problem at `path`) when it is neither.
 */
export function durationFromJson(json: unknown, path: string, problems: JsonProblem[]): number | undefined {
  const d = readDuration(json, path, problems);
  return d && Number(d.seconds ?? 0) * 1000 + (d.nanos ?? 0) / 1e6;
}

type Plain = Record<string, unknown>;

const INT32 = { min: -0x80000000, max: 0x7fffffff };
const UINT32 = { min: 0, max: 0xffffffff };
const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };
const UINT64 = { min: 0n, max: 2n ** 64n - 1n };
const INT_RANGE: Record<string, { min: number; max: number }> = { int32: INT32, sint32: INT32, sfixed32: INT32, uint32: UINT32, fixed32: UINT32 };
const LONG_RANGE: Record<string, { min: bigint; max: bigint }> = { int64: INT64, sint64: INT64, sfixed64: INT64, uint64: UINT64, fixed64: UINT64 };
const WRAPPERS = new Set(['DoubleValue', 'FloatValue', 'Int64Value', 'UInt64Value', 'Int32Value', 'UInt32Value', 'BoolValue', 'StringValue', 'BytesValue'].map((n) => `.google.protobuf.${n}`));
/** Types whose JSON is not an object of their fields: inside an `Any` they sit under `"value"`. */
const SPECIAL_JSON = new Set([...WRAPPERS, ...['Duration', 'Timestamp', 'Struct', 'Value', 'ListValue', 'FieldMask'].map((n) => `.google.protobuf.${n}`)]);
const MAX_DURATION_SECONDS = 315_576_000_000;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  const text = JSON.stringify(v) ?? String(v);
  return `${typeof v} ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`;
}

function isObject(v: unknown): v is Plain {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** protoc's json_name: `port_value` → `portValue`. */
function jsonName(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()).replace(/_/g, '');
}

const FIELDS = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();
/** A type's fields by their proto name and their JSON name. */
function fieldsByName(type: protobuf.Type): Map<string, protobuf.Field> {
  let fields = FIELDS.get(type);
  if (!fields) {
    fields = new Map();
    for (const f of type.fieldsArray) {
      fields.set(f.name, f);
      const explicit = f.options?.json_name as string | undefined;
      fields.set(explicit ?? jsonName(f.name), f);
    }
    FIELDS.set(type, fields);
  }
  return fields;
}

/** JSON for a message type → the plain object `Type.fromObject` takes; undefined (with a problem) when it does not fit. */
function readMessage(type: protobuf.Type, json: unknown, path: string, problems: JsonProblem[]): Plain | undefined {
  const name = type.fullName;
  if (WRAPPERS.has(name)) {
    // the bare value; `{ "value": v }` (decodeMessage's shape) is taken too
    const bare = isObject(json) && Object.keys(json).length === 1 && 'value' in json ? json.value : json;
    const value = readValue(type.fields.value!, bare, path, problems);
    return value === undefined ? undefined : isImplicitDefault(type.fields.value!, value) ? {} : { value };
  }
  switch (name) {
    case '.google.protobuf.Duration':
      return readDuration(json, path, problems);
    case '.google.protobuf.Timestamp':
      return readTimestamp(json, path, problems);
    case '.google.protobuf.Struct':
      return readStruct(json, path, problems);
    case '.google.protobuf.Value':
      return readStructValue(json, path, problems);
    case '.google.protobuf.ListValue':
      return readListValue(json, path, problems);
    case '.google.protobuf.FieldMask':
      if (typeof json === 'string') return { paths: json === '' ? [] : json.split(',').map((p) => p.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)) };
      problems.push({ path, message: `expected a field mask such as "a.b,c", got ${describe(json)}` });
      return undefined;
    case '.google.protobuf.Any':
      return readAny(json, path, problems);
  }
  if (!isObject(json)) {
    problems.push({ path, message: `expected an object (${name.slice(1)}), got ${describe(json)}` });
    return undefined;
  }
  return readFields(type, json, path, problems, new Set());
}

function readFields(type: protobuf.Type, json: Plain, path: string, problems: JsonProblem[], skip: ReadonlySet<string>): Plain {
  const fields = fieldsByName(type);
  const out: Plain = {};
  const oneofSet = new Map<protobuf.OneOf, string>();
  for (const [key, v] of Object.entries(json)) {
    if (skip.has(key)) continue;
    const at = path === '' ? key : `${path}.${key}`;
    const field = fields.get(key);
    if (!field) {
      problems.push({ path: at, message: `unknown field (not in ${type.fullName.slice(1)})` });
      continue;
    }
    // null is the field's default (absent), except for a google.protobuf.Value, where it is a JSON null
    if (v === null && field.resolvedType?.fullName !== '.google.protobuf.Value') continue;
    if (field.name in out) {
      problems.push({ path: at, message: `field ${field.name} given twice (as ${field.name} and ${jsonName(field.name)})` });
      continue;
    }
    const oneof = field.partOf;
    if (oneof) {
      const other = oneofSet.get(oneof);
      if (other !== undefined) {
        problems.push({ path: at, message: `${other} is already set: ${oneof.oneof.join(', ')} are one of (${oneof.name})` });
        continue;
      }
      oneofSet.set(oneof, key);
    }
    const value = readFieldValue(field, v, at, problems);
    // a proto3 scalar at its default is not on the wire: left out, as a decoded message has it
    if (value !== undefined && !(isImplicitDefault(field, value) && !field.hasPresence)) out[field.name] = value;
  }
  return out;
}

/** A scalar or enum value that a proto3 encoder does not write when its field has no presence. */
function isImplicitDefault(field: protobuf.Field, value: unknown): boolean {
  if (field.repeated || field.map || field.resolvedType instanceof protobuf.Type) return false;
  return value === 0 || value === '0' || value === '' || value === false || (Buffer.isBuffer(value) && value.length === 0);
}

function readFieldValue(field: protobuf.Field, json: unknown, path: string, problems: JsonProblem[]): unknown {
  if (field instanceof protobuf.MapField) {
    if (!isObject(json)) {
      problems.push({ path, message: `expected an object (a map), got ${describe(json)}` });
      return undefined;
    }
    const out: Plain = {};
    for (const [k, v] of Object.entries(json)) {
      const at = `${path}.${k}`;
      if (field.keyType === 'bool' ? k !== 'true' && k !== 'false' : field.keyType !== 'string' && !/^-?\d+$/.test(k)) {
        problems.push({ path: at, message: `expected a ${field.keyType} map key, got ${JSON.stringify(k)}` });
        continue;
      }
      const value = readValue(field, v, at, problems);
      if (value !== undefined) out[k] = value;
    }
    return out;
  }
  if (field.repeated) {
    if (!Array.isArray(json)) {
      problems.push({ path, message: `expected an array, got ${describe(json)}` });
      return undefined;
    }
    const out: unknown[] = [];
    json.forEach((v, i) => {
      const value = readValue(field, v, `${path}[${i}]`, problems);
      if (value !== undefined) out.push(value);
    });
    return out;
  }
  return readValue(field, json, path, problems);
}

/** One value of a field's type (an element, for a repeated field or a map). */
function readValue(field: protobuf.Field, json: unknown, path: string, problems: JsonProblem[]): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return readMessage(resolved, json, path, problems);
  if (resolved instanceof protobuf.Enum) return readEnum(resolved, json, path, problems);
  const fail = (what: string): undefined => {
    problems.push({ path, message: `expected ${what}, got ${describe(json)}` });
    return undefined;
  };
  const t = field.type;
  switch (t) {
    case 'string':
      return typeof json === 'string' ? json : fail('a string');
    case 'bool':
      return typeof json === 'boolean' ? json : fail('true or false');
    case 'bytes':
      if (typeof json === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(json)) return Buffer.from(json, json.includes('-') || json.includes('_') ? 'base64url' : 'base64');
      return fail('bytes in base64');
    case 'double':
    case 'float': {
      if (typeof json === 'number') return json;
      if (json === 'NaN' || json === 'Infinity' || json === '-Infinity') return Number(json);
      if (typeof json === 'string' && json.trim() !== '' && Number.isFinite(Number(json))) return Number(json);
      return fail('a number');
    }
  }
  const int = INT_RANGE[t];
  if (int) {
    const n = typeof json === 'string' && /^-?\d+$/.test(json) ? Number(json) : json;
    if (typeof n !== 'number' || !Number.isInteger(n)) return fail(`an integer (${t})`);
    if (n < int.min || n > int.max) return fail(`an integer from ${int.min} to ${int.max} (${t})`);
    return n;
  }
  const long = LONG_RANGE[t];
  if (long) {
    const text = typeof json === 'number' && Number.isSafeInteger(json) ? String(json) : typeof json === 'string' && /^-?\d+$/.test(json) ? json : undefined;
    if (text === undefined) return fail(`an integer (${t}), as a string or a number`);
    const n = BigInt(text);
    if (n < long.min || n > long.max) return fail(`an integer from ${long.min} to ${long.max} (${t})`);
    return n.toString();
  }
  return fail(`a value of type ${t}`);
}

function readEnum(e: protobuf.Enum, json: unknown, path: string, problems: JsonProblem[]): number | undefined {
  if (e.fullName === '.google.protobuf.NullValue') return 0;
  if (typeof json === 'string' && Object.hasOwn(e.values, json)) return e.values[json];
  if (typeof json === 'number' && Number.isInteger(json) && Object.hasOwn(e.valuesById, json)) return json;
  const names = Object.keys(e.values);
  const list = names.length > 12 ? `${names.slice(0, 12).join(', ')}, ...` : names.join(', ');
  problems.push({ path, message: `expected one of ${list} (${e.fullName.slice(1)}), got ${describe(json)}` });
  return undefined;
}

function readDuration(json: unknown, path: string, problems: JsonProblem[]): { seconds?: string; nanos?: number } | undefined {
  const fail = (): undefined => {
    problems.push({ path, message: `expected a duration such as "1.5s" or {"seconds": 1, "nanos": 500000000}, got ${describe(json)}` });
    return undefined;
  };
  let seconds: number;
  let nanos: number;
  if (typeof json === 'string') {
    const m = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(json);
    if (!m) return fail();
    const sign = m[1] ? -1 : 1;
    seconds = sign * Number(m[2]);
    nanos = sign * Number((m[3] ?? '').padEnd(9, '0'));
  } else if (isObject(json)) {
    const extra = Object.keys(json).filter((k) => k !== 'seconds' && k !== 'nanos');
    const s = typeof json.seconds === 'string' && /^-?\d+$/.test(json.seconds) ? Number(json.seconds) : json.seconds ?? 0;
    const n = json.nanos ?? 0;
    if (extra.length > 0 || typeof s !== 'number' || !Number.isInteger(s) || typeof n !== 'number' || !Number.isInteger(n) || Math.abs(n) > 999_999_999) return fail();
    seconds = s;
    nanos = n;
  } else {
    return fail();
  }
  if (Math.abs(seconds) > MAX_DURATION_SECONDS || (seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0)) return fail();
  return secondsNanos(seconds, nanos);
}

/** A Duration's or Timestamp's fields, zeros left out (as on the wire). */
function secondsNanos(seconds: number, nanos: number): { seconds?: string; nanos?: number } {
  return { ...(seconds !== 0 ? { seconds: String(seconds) } : {}), ...(nanos !== 0 ? { nanos } : {}) };
}

function readTimestamp(json: unknown, path: string, problems: JsonProblem[]): { seconds?: string; nanos?: number } | undefined {
  const m = typeof json === 'string' ? /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(json) : null;
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
  if (!m || Number.isNaN(ms)) {
    problems.push({ path, message: `expected an RFC 3339 timestamp such as "2024-01-01T00:00:00Z", got ${describe(json)}` });
    return undefined;
  }
  return secondsNanos(ms / 1000, Number((m[2] ?? '').padEnd(9, '0')));
}

function readStruct(json: unknown, path: string, problems: JsonProblem[]): Plain | undefined {
  if (!isObject(json)) {
    problems.push({ path, message: `expected an object (google.protobuf.Struct), got ${describe(json)}` });
    return undefined;
  }
  const fields: Plain = {};
  for (const [k, v] of Object.entries(json)) {
    const value = readStructValue(v, `${path}.${k}`, problems);
    if (value !== undefined) fields[k] = value;
  }
  return { fields };
}

function readListValue(json: unknown, path: string, problems: JsonProblem[]): Plain | undefined {
  if (!Array.isArray(json)) {
    problems.push({ path, message: `expected an array (google.protobuf.ListValue), got ${describe(json)}` });
    return undefined;
  }
  const values: unknown[] = [];
  json.forEach((v, i) => {
    const value = readStructValue(v, `${path}[${i}]`, problems);
    if (value !== undefined) values.push(value);
  });
  return { values };
}

/** A `google.protobuf.Value`'s field name: protobufjs defines it itself, in lowerCamelCase (`numberValue`). */
function valueField(snake: string): string {
  return fieldsByName(messageType('google.protobuf.Value')).get(jsonName(snake))!.name;
}

function readStructValue(json: unknown, path: string, problems: JsonProblem[]): Plain | undefined {
  if (json === null) return { [valueField('null_value')]: 0 };
  if (typeof json === 'number') return { [valueField('number_value')]: json };
  if (typeof json === 'string') return { [valueField('string_value')]: json };
  if (typeof json === 'boolean') return { [valueField('bool_value')]: json };
  if (Array.isArray(json)) {
    const list = readListValue(json, path, problems);
    return list && { [valueField('list_value')]: list };
  }
  if (isObject(json)) {
    const struct = readStruct(json, path, problems);
    return struct && { [valueField('struct_value')]: struct };
  }
  problems.push({ path, message: `expected JSON data, got ${describe(json)}` });
  return undefined;
}

/** `{ "@type": url, ...fields }` (or `{ "@type": url, "value": json }` for a type with its own JSON) → a packed Any. */
function readAny(json: unknown, path: string, problems: JsonProblem[]): Plain | undefined {
  if (!isObject(json)) {
    problems.push({ path, message: `expected an object with "@type" (google.protobuf.Any), got ${describe(json)}` });
    return undefined;
  }
  const typeUrl = json['@type'];
  if (typeof typeUrl !== 'string' || typeUrl === '') {
    problems.push({ path, message: `expected "@type" (the type URL of the message, such as "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext"), got ${describe(typeUrl)}` });
    return undefined;
  }
  let type: protobuf.Type;
  try {
    type = messageType(typeUrl.slice(typeUrl.lastIndexOf('/') + 1));
  } catch {
    problems.push({ path: `${path}.@type`, message: `unknown message type ${JSON.stringify(typeUrl)} (not in the Envoy API mosn-ts loads)` });
    return undefined;
  }
  let inner: Plain | undefined;
  if (SPECIAL_JSON.has(type.fullName)) {
    const extra = Object.keys(json).filter((k) => k !== '@type' && k !== 'value');
    for (const k of extra) problems.push({ path: `${path}.${k}`, message: `unknown field: an Any of ${type.fullName.slice(1)} has only "@type" and "value"` });
    inner = readMessage(type, json.value, `${path}.value`, problems);
  } else {
    inner = readFields(type, json, path, problems, new Set(['@type']));
  }
  if (inner === undefined) return undefined;
  return { type_url: typeUrl, value: Buffer.from(type.encode(type.fromObject(inner)).finish()) };
}
