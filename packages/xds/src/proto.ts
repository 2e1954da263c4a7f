import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';
import { messageName } from './type-urls.js';

/**
 * Envoy's v3 API as published in `@grpc/grpc-js-xds` (its `deps/` folder holds envoy-api, xds, googleapis and
 * protoc-gen-validate `.proto` files). Loaded once, on first use (about 0.2 s), with protobufjs; field names kept
 * as in the protos (snake_case, as MOSN's JSON and Envoy's docs spell them).
 */
const FILES = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/config/core/v3/health_check.proto',
  'google/protobuf/struct.proto',
  'xds/type/v3/typed_struct.proto',
  'udpa/type/v1/typed_struct.proto',
  'google/protobuf/wrappers.proto',
  'google/rpc/status.proto',
];

/** How decoded messages look: plain objects, 64-bit integers and enums as strings, oneofs named, no defaults filled in. */
export const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, bytes: Buffer, defaults: false, oneofs: true };

/** A decoded protobuf message: a plain object with the proto's field names. */
export type Message = Record<string, unknown>;

/** A `google.protobuf.Any` as decoded (not unpacked). */
export interface AnyMessage {
  type_url?: string;
  value?: Uint8Array;
}

let root: protobuf.Root | undefined;

/** The loaded Envoy API (loaded on first call). */
export function envoyApi(): protobuf.Root {
  if (root) return root;
  const require = createRequire(import.meta.url);
  const deps = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  // google/protobuf/descriptor.proto (imported by the validation annotations) ships with protobufjs itself
  const includeDirs = [...['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(deps, d)), dirname(require.resolve('protobufjs/package.json'))];
  const r = new protobuf.Root();
  r.resolvePath = (_origin, target) => {
    for (const dir of includeDirs) {
      const candidate = join(dir, target);
      if (existsSyncCached(candidate)) return candidate;
    }
    return target;
  };
  r.loadSync(FILES, { keepCase: true });
  r.resolveAll();
  root = r;
  return r;
}

const seen = new Map<string, boolean>();
function existsSyncCached(path: string): boolean {
  let known = seen.get(path);
  if (known === undefined) {
    known = existsSync(path);
    seen.set(path, known);
  }
  return known;
}

/** The protobufjs type of a message by its full name (`envoy.config.listener.v3.Listener`). */
export function messageType(name: string): protobuf.Type {
  return envoyApi().lookupType(name);
}

/** Decode bytes of a message type into a plain object. */
export function decodeMessage(name: string, bytes: Uint8Array): Message {
  const type = messageType(name);
  return type.toObject(type.decode(bytes), TO_OBJECT) as Message;
}

/** Encode a plain object (as `decodeMessage` gives) into bytes; throws when a field does not fit the type. */
export function encodeMessage(name: string, value: Message): Buffer {
  const type = messageType(name);
  // fromObject takes enum names (as decodeMessage gives them) and coerces; verify then checks what it made
  const message = type.fromObject(value);
  const problem = type.verify(message);
  if (problem) throw new Error(`${name}: ${problem}`);
  return Buffer.from(type.encode(message).finish());
}

/**
 * Unpack an `Any`: its type URL and its message decoded. Throws with the type URL when the type is not one this
 * build of the API knows (the converters turn that into a NACK or a warning).
 */
export function unpackAny(any: AnyMessage): { typeUrl: string; value: Message } {
  const typeUrl = any.type_url ?? '';
  let type: protobuf.Type;
  try {
    type = messageType(messageName(typeUrl));
  } catch {
    throw new Error(`unknown message type ${JSON.stringify(typeUrl)}`);
  }
  return { typeUrl, value: type.toObject(type.decode(any.value ?? new Uint8Array()), TO_OBJECT) as Message };
}

/** Pack a plain object into an `Any` of the given type URL. */
export function packAny(typeUrl: string, value: Message): { type_url: string; value: Buffer } {
  return { type_url: typeUrl, value: encodeMessage(messageName(typeUrl), value) };
}
