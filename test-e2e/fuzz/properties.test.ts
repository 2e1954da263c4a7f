import fc from 'fast-check';
import { boltCodec, BoltFrame, buildFrame as buildBolt, CMD_CODE_HEARTBEAT, type BoltFrameSpec } from '@mosn/protocol-bolt';
import { buildFrame as buildDubbo, dubboCodec, DubboFrame, encodeRequestBody } from '@mosn/protocol-dubbo';
import { HttpHeaders, IoBuffer, isDecodeError } from '@mosn/stream';
import { RouterConfig, rpcRouteRequest, type Route } from '@mosn/proxy';
import { describe, expect, it } from 'vitest';

/*
 * Properties (fast-check, fixed seed): encode∘decode round trips for Bolt and Dubbo frames, request-id rewriting
 * that changes the id and nothing else, the lazy header maps agreeing with a plain map, and RPC routing on
 * decoded frames agreeing with a first-match model of the routes.
 */

const RUNS = { seed: 20261203, numRuns: 300 };
const LIMITS = { maxFrameSize: 1 << 20 };

function decodeAll<F>(decode: (b: IoBuffer, o: typeof LIMITS) => F | undefined | object, bytes: Buffer, exclusive = false): F {
  const b = new IoBuffer({ exclusive });
  b.append(exclusive ? Buffer.from(bytes) : bytes);
  const f = decode(b, LIMITS);
  if (f === undefined || isDecodeError(f)) throw new Error(`not one frame: ${String((f as { message?: string } | undefined)?.message ?? f)}`);
  expect(b.length).toBe(0);
  return f as F;
}

const text = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('service', 'sofa_head_method_name', 'é中文', ''), fc.string({ unit: 'grapheme', maxLength: 10 }));
const entries = fc.array(fc.tuple(text, text), { maxLength: 8 });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

const boltSpec: fc.Arbitrary<BoltFrameSpec> = fc.record({
  version: fc.constantFrom(1 as const, 2 as const),
  kind: fc.constantFrom('request' as const, 'response' as const),
  requestId: u32,
  oneWay: fc.boolean(),
  crc: fc.boolean(),
  codec: fc.constantFrom(1, 11),
  timeout: fc.integer({ min: -1, max: 0x7fffffff }),
  status: fc.integer({ min: 0, max: 0xffff }),
  className: fc.string({ maxLength: 60 }),
  header: entries,
  body: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
  heartbeat: fc.boolean(),
}).map(({ heartbeat, ...s }) => ({ ...s, ...(heartbeat ? { cmdCode: CMD_CODE_HEARTBEAT } : {}) }));

const boltFields = (f: BoltFrame) => ({
  kind: f.kind, version: f.version, crc: f.crc, cmdType: f.cmdType, cmdCode: f.cmdCode, codec: f.codec, timeout: f.timeout,
  status: f.status, className: f.className, body: f.body.toString('hex'), header: [...headerMap(f.header)],
});

function headerMap(h: { forEach(fn: (v: string, k: string) => void): void }): Map<string, string> {
  const m = new Map<string, string>();
  h.forEach((v, k) => m.set(k, v));
  return m;
}

describe('Bolt properties', () => {
  it('decode(encode(build(spec))) has the spec\'s fields; encode(decode(bytes)) is the same bytes', () => {
    fc.assert(
      fc.property(boltSpec, (spec) => {
        const built = buildBolt(spec);
        const bytes = Buffer.concat(boltCodec.encode(built));
        const f = decodeAll<BoltFrame>(boltCodec.decode, bytes);
        expect(f.requestId).toBe(spec.requestId);
        expect(boltFields(f)).toEqual(boltFields(built));
        expect([...headerMap(f.header)]).toEqual([...new Map(spec.header)]);
        expect(Buffer.concat(boltCodec.encode(f)).equals(bytes)).toBe(true);
      }),
      RUNS,
    );
  });

  it('withRequestId changes the id field (and the CRC32) and nothing else, decoded from shared or owned bytes', () => {
    fc.assert(
      fc.property(boltSpec, u32, fc.boolean(), (spec, id, owned) => {
        const bytes = Buffer.concat(boltCodec.encode(buildBolt(spec)));
        const f = decodeAll<BoltFrame>(boltCodec.decode, bytes, owned);
        const moved = Buffer.concat(boltCodec.encode(boltCodec.withRequestId(f, id)));
        const g = decodeAll<BoltFrame>(boltCodec.decode, moved);
        expect(g.requestId).toBe(id);
        expect(boltFields(g)).toEqual(boltFields(buildBolt(spec)));
        const at = f.layout.requestId;
        const end = f.crc ? bytes.length - 4 : bytes.length;
        expect(Buffer.concat([moved.subarray(0, at), moved.subarray(at + 4, end)]).equals(Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 4, end)]))).toBe(true);
        expect(bytes.equals(Buffer.concat(boltCodec.encode(buildBolt(spec))))).toBe(true); // the input bytes were not patched
      }),
      RUNS,
    );
  });

  it('the header map\'s lookup on the wire bytes agrees with a Map of the entries (duplicates: the last wins)', () => {
    fc.assert(
      fc.property(entries, fc.array(text, { maxLength: 5 }), (es, probes) => {
        const bytes = Buffer.concat(boltCodec.encode(buildBolt({ version: 1, kind: 'request', requestId: 1, header: es })));
        const model = new Map(es);
        for (const k of [...probes, ...es.map(([key]) => key)]) {
          const f = decodeAll<BoltFrame>(boltCodec.decode, bytes); // a fresh frame: the lookup reads the wire bytes
          expect(f.header.get(k)).toBe(model.get(k));
        }
      }),
      RUNS,
    );
  });
});

const dubboId = fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
const javaName = fc.stringMatching(/^[a-zA-Z_$][a-zA-Z0-9_$.]{0,40}$/);

describe('Dubbo properties', () => {
  it('decode(encode(build(spec))) has the spec\'s fields, for ids up to 2^53 - 1', () => {
    fc.assert(
      fc.property(
        fc.record({ kind: fc.constantFrom('request' as const, 'response' as const), requestId: dubboId, twoWay: fc.boolean(), event: fc.boolean(), status: fc.integer({ min: 0, max: 255 }), body: fc.uint8Array({ maxLength: 100 }) }),
        (s) => {
          const spec = { ...s, body: Buffer.from(s.body) };
          const bytes = Buffer.concat(dubboCodec.encode(buildDubbo(spec)));
          const f = decodeAll<DubboFrame>(dubboCodec.decode, bytes);
          expect({ kind: f.kind, id: f.requestId, event: f.event, body: f.body.toString('hex') }).toEqual({ kind: s.kind, id: s.requestId, event: s.event, body: spec.body.toString('hex') });
          if (s.kind === 'request') expect(f.twoWay).toBe(s.twoWay);
          else expect(f.status).toBe(s.status);
          expect(Buffer.concat(dubboCodec.encode(f)).equals(bytes)).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('a hessian2 request\'s routing keys read back as written; withRequestId changes the 8 id bytes only', () => {
    fc.assert(
      fc.property(
        javaName, fc.option(fc.constantFrom('1.0.0', '2.0', ''), { nil: undefined }), javaName, fc.option(text, { nil: undefined }), fc.array(fc.oneof(fc.string({ maxLength: 20 }), fc.integer()), { maxLength: 3 }), dubboId, dubboId,
        (service, version, method, group, args, id, newId) => {
          const body = encodeRequestBody({ service, method, ...(version !== undefined ? { version } : {}), parameterTypes: args.map((a) => (typeof a === 'string' ? 'Ljava/lang/String;' : 'J')).join(''), args: args.map((a) => (typeof a === 'number' ? { $class: 'long', $: a } : a)), attachments: { path: service, ...(group !== undefined ? { group } : {}) } });
          const bytes = Buffer.concat(dubboCodec.encode(buildDubbo({ kind: 'request', requestId: id, body })));
          const f = decodeAll<DubboFrame>(dubboCodec.decode, bytes);
          expect([f.header.get('service'), f.header.get('method'), f.header.get('version'), f.header.get('group'), f.routingError]).toEqual([service, method, version ?? '', group, undefined]);
          const moved = Buffer.concat(dubboCodec.encode(dubboCodec.withRequestId(f, newId)));
          expect(decodeAll<DubboFrame>(dubboCodec.decode, moved).requestId).toBe(newId);
          expect(Buffer.concat([moved.subarray(0, 4), moved.subarray(12)]).equals(Buffer.concat([bytes.subarray(0, 4), bytes.subarray(12)]))).toBe(true);
        },
      ),
      RUNS,
    );
  });
});

describe('RPC routing', () => {
  it('a decoded Bolt frame is routed to the first route whose service (exact or regex) and method match', () => {
    const service = fc.constantFrom('a.A:1.0', 'a.B:1.0', 'b.C:2.0', 'é.D', '');
    const rule = fc.record({ service: fc.option(fc.oneof(service, fc.constantFrom('^a\\.', 'C', '.*')), { nil: undefined }), regex: fc.boolean(), method: fc.option(fc.constantFrom('echo', 'plus'), { nil: undefined }) });
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 6 }), service, fc.option(fc.constantFrom('echo', 'plus', 'x'), { nil: undefined }), (rules, svc, method) => {
        const routes: Route[] = rules.map((r, i) => ({
          match: {
            headers: [
              ...(r.service !== undefined ? [{ name: 'service', value: r.service, ...(r.regex ? { regex: new RegExp(r.service) } : {}) }] : []),
              ...(r.method !== undefined ? [{ name: 'sofa_head_method_name', value: r.method }] : []),
            ],
          },
          action: { kind: 'cluster', cluster: `c${i}`, timeoutMs: 1 },
        }) as Route);
        const router = new RouterConfig('r', [{ name: 'vh', domains: ['*'], routes }]);
        const header: Array<[string, string]> = [['service', svc], ...(method !== undefined ? [['sofa_head_method_name', method] as [string, string]] : [])];
        const f = decodeAll<BoltFrame>(boltCodec.decode, Buffer.concat(boltCodec.encode(buildBolt({ version: 1, kind: 'request', requestId: 7, header }))));
        const got = router.route(rpcRouteRequest(f.header));
        const plain = router.route(rpcRouteRequest(new HttpHeaders(header.flat())));
        const model = rules.findIndex((r) =>
          (r.service === undefined || (r.regex ? new RegExp(r.service).test(svc) : r.service === svc)) && (r.method === undefined || r.method === method));
        const name = (r: Route | undefined) => (r?.action.kind === 'cluster' ? r.action.cluster : undefined);
        expect(name(got)).toBe(model < 0 ? undefined : `c${model}`);
        expect(name(plain)).toBe(name(got));
      }),
      RUNS,
    );
  });
});
