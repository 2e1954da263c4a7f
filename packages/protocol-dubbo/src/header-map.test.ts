import hessian from 'hessian.js';
import java from 'js-to-java';
import { describe, expect, it } from 'vitest';
import { buildFrame, encodeRequestBody, type DubboInvocation } from './builder.js';
import { dubboCodec } from './codec.js';
import type { DubboFrame } from './frame.js';
import { decodeOne, encoded, golden, hessianValuesOf } from './golden.test-support.js';
import { DubboHeaderMap } from './header-map.js';

const SERVICE = 'com.alipay.test.DubboTestService';

const invocation: DubboInvocation = {
  service: 'org.example.Greeter',
  version: '2.1.0',
  method: 'greet',
  parameterTypes: 'Ljava/lang/String;I[Ljava/lang/String;Ljava/util/Map;',
  args: [
    'world',
    java.int(7),
    java.array('java.lang.String', ['a', 'b']),
    { $class: 'java.util.HashMap', $: { nested: { $class: 'java.util.HashMap', $: { deep: 'value' } } } },
  ],
  attachments: { path: 'org.example.Greeter', interface: 'org.example.Greeter', version: '2.1.0', group: 'blue', timeout: java.int(3000), zone: 'gz' },
};

const request = (inv: DubboInvocation = invocation, requestId = 9) => decodeOne(buildFrame({ kind: 'request', requestId, body: encodeRequestBody(inv) }).raw);

/** What a Dubbo provider would see: the body's values decoded by hessian.js. */
function values(frame: DubboFrame) {
  const v = hessianValuesOf(frame.body);
  return { leading: v.slice(0, 4), desc: v[4], args: v.slice(5, -1), attachments: v.at(-1) as Record<string, unknown> | null };
}

describe('DubboHeaderMap: reading', () => {
  it('reads the four leading values, then attachments only when asked for another key', () => {
    const f = request();
    const h = f.header;
    expect([h.get('dubbo'), h.get('service'), h.get('version'), h.get('method')]).toEqual(['2.0.2', 'org.example.Greeter', '2.1.0', 'greet']);
    expect([h.get('group'), h.get('zone'), h.get('path'), h.has('interface')]).toEqual(['blue', 'gz', 'org.example.Greeter', true]);
    expect(h.get('timeout')).toBeUndefined(); // not a string (MOSN reads string attachments only)
    expect([h.error, h.attachmentsError, f.routingError]).toEqual([undefined, undefined, undefined]);
    const seen: string[] = [];
    h.forEach((v, k) => seen.push(`${k}=${v}`));
    expect(seen).toEqual([
      'dubbo=2.0.2', 'service=org.example.Greeter', 'version=2.1.0', 'method=greet',
      'group=blue', 'interface=org.example.Greeter', 'path=org.example.Greeter', 'zone=gz',
    ]);
    expect(h.size).toBe(8);
  });

  it('never needs the arguments for the four leading keys: unreadable arguments only hide attachments', () => {
    const body = Buffer.concat([encodeRequestBody({ ...invocation, parameterTypes: '', args: [], attachments: {} }).subarray(0, -3), Buffer.from([0x01, 0x49, 0xff])]);
    // the descriptor says one int; the value is a broken one
    const f = decodeOne(buildFrame({ kind: 'request', requestId: 1, body }).raw);
    expect([f.header.get('service'), f.header.get('method'), f.header.get('version'), f.routingError]).toEqual(['org.example.Greeter', 'greet', '2.1.0', undefined]);
    expect(f.header.get('group')).toBeUndefined();
    expect(f.header.attachmentsError).toMatch(/cannot read argument 1 of 1/);
  });

  it('reads a null version as "" (as MOSN), and non-ASCII, long and chunked strings through hessian.js', () => {
    const long = 'S'.repeat(40_000);
    const f = request({ service: `org.ex.Ünïcode${long}`, method: '方法', attachments: { group: '组' } });
    expect([f.header.get('version'), f.header.get('service'), f.header.get('method'), f.header.get('group')]).toEqual(['', `org.ex.Ünïcode${long}`, '方法', '组']);
  });

  it('agrees with hessian.js on the leading values for strings of every kind and length', () => {
    const samples = ['', 'a', 'x'.repeat(31), 'y'.repeat(32), 'z'.repeat(1023), 'w'.repeat(1024), 'é', 'a'.repeat(30) + 'é', '𝄞 surrogate', 'q'.repeat(70_000)];
    for (const s of samples) {
      const f = request({ dubboVersion: s, service: s, version: s, method: s });
      expect(values(f).leading).toEqual([s, s, s, s]);
      expect([f.header.get('dubbo'), f.header.get('service'), f.header.get('version'), f.header.get('method')]).toEqual([s, s, s, s]);
    }
  });

  it('explains what is wrong with a body whose leading values are not strings', () => {
    const body = hessian.encode('2.0.2', '2.0') as Buffer;
    const broken = [
      [Buffer.alloc(0), /dubbo version is not a hessian2 string/],
      [Buffer.concat([body, Buffer.from([0x91])]), /service path is not a hessian2 string/],
      [Buffer.concat([body, Buffer.from([0x01, 0x61, 0x4e, 0x4e])]), /method name is not a hessian2 string/],
      [Buffer.concat([body, Buffer.from([0x05, 0x61])]), /service path is not a hessian2 string/], // runs past the end
    ] as const;
    for (const [b, message] of broken) {
      const f = decodeOne(buildFrame({ kind: 'request', requestId: 1, body: b }).raw);
      expect(f.routingError).toMatch(message);
      expect([f.header.get('service'), f.header.get('group'), f.header.size]).toEqual([undefined, undefined, 0]);
    }
  });

  it('sees attachments after the Dubbox -1 marker only as unreadable, keeping the leading values', () => {
    const body = Buffer.concat([
      encodeRequestBody({ service: 'a.B', method: 'm' }).subarray(0, 13),
      hessian.encode(-1, '2.0') as Buffer,
      hessian.encode('', '2.0') as Buffer,
      hessian.encode({ group: 'g' }, '2.0') as Buffer,
    ]);
    const f = decodeOne(buildFrame({ kind: 'request', requestId: 1, body }).raw);
    expect([f.header.get('service'), f.header.get('method'), f.header.get('group')]).toEqual(['a.B', 'm', undefined]);
    expect(f.header.attachmentsError).toMatch(/no parameter type descriptor/);
  });

  it('is a plain empty map for responses and events', () => {
    for (const name of ['response_echo_value_with_attachments', 'heartbeat_request_handmade', 'response_status60_handmade']) {
      const f = decodeOne(golden[name]!);
      expect([f.header.size, f.header.get('service'), f.routingError, f.header.attachmentsError]).toEqual([0, undefined, undefined, undefined]);
      f.header.set('k', 'v');
      expect(f.header.get('k')).toBe('v');
      expect(encoded(f).equals(golden[name]!)).toBe(true);
    }
    const plain = new DubboHeaderMap();
    plain.set('a', 'b');
    expect([plain.get('a'), plain.changed, plain.rewriteBody()]).toEqual(['b', true, undefined]);
  });
});

describe('DubboHeaderMap: changes reach the wire', () => {
  it('a changed attachment replaces its entry; the arguments are copied byte for byte', () => {
    const f = request();
    const before = values(f);
    const g = dubboCodec.withRequestId(f, 2 ** 40);
    g.header.set('group', 'green');
    g.header.set('x-trace', 'abc');
    g.header.delete('zone');
    expect(f.header.get('group')).toBe('green'); // one header map, shared
    const back = decodeOne(encoded(g));
    const after = values(back);
    expect(back.requestId).toBe(2 ** 40);
    expect(after.leading).toEqual(before.leading);
    expect(after.desc).toBe(before.desc);
    expect(after.args).toEqual(before.args);
    expect(after.attachments).toEqual({ ...before.attachments, group: 'green', 'x-trace': 'abc', zone: undefined });
    expect(Object.keys(after.attachments!)).not.toContain('zone');
    expect([back.header.get('group'), back.header.get('x-trace'), back.header.get('zone')]).toEqual(['green', 'abc', undefined]);
  });

  it('a changed service or version is written in place and into path, interface and version attachments', () => {
    const f = request();
    f.header.set('service', 'org.example.Other');
    f.header.set('version', '3.0.0');
    const after = values(decodeOne(encoded(f)));
    expect(after.leading).toEqual(['2.0.2', 'org.example.Other', '3.0.0', 'greet']);
    expect(after.attachments).toMatchObject({ path: 'org.example.Other', interface: 'org.example.Other', version: '3.0.0', group: 'blue', timeout: 3000 });
    expect(after.args).toEqual(values(request()).args);
  });

  it('a changed method keeps a null version null and the attachments as they were', () => {
    const f = request({ service: 'a.B', method: 'm', attachments: { group: 'g' } });
    f.header.set('method', 'other');
    const out = encoded(f);
    const after = values(decodeOne(out));
    expect(after.leading).toEqual(['2.0.2', 'a.B', null, 'other']);
    expect(after.attachments).toEqual({ group: 'g' });
  });

  it('adds a map where the body had a null or no attachments', () => {
    const noMap = encodeRequestBody({ service: 'a.B', method: 'm' }).subarray(0, -2); // without the empty map 'HZ'
    for (const body of [Buffer.concat([noMap, Buffer.from([0x4e])]), noMap]) {
      const f = decodeOne(buildFrame({ kind: 'request', requestId: 1, body }).raw);
      expect(f.header.get('group')).toBeUndefined();
      f.header.set('group', 'g');
      expect(values(decodeOne(encoded(f))).attachments).toEqual({ group: 'g' });
    }
  });

  it('golden requests: a new attachment decodes on the other side with everything else unchanged', () => {
    for (const name of ['request_echo', 'request_plus_Integer', 'request_nothing']) {
      const f = decodeOne(golden[name]!);
      const before = values(f);
      f.header.set('mosn-route', 'r1');
      const after = values(decodeOne(encoded(f)));
      expect(after.leading).toEqual([...before.leading]);
      expect(after.args).toEqual(before.args);
      expect(after.attachments).toEqual({ ...before.attachments, 'mosn-route': 'r1', timeout: 1000 });
      expect(f.header.get('interface')).toBe(SERVICE);
    }
  });
});
