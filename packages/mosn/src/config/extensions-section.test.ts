import { describe, expect, it } from 'vitest';
import { readExtends, readThirdPartCodecs, readThirdPartStreamFilters } from './extensions-section.js';
import { readSection } from './testing.js';

describe('readThirdPartCodecs', () => {
  it('accepts npm codecs and disabled ones; refuses the Go plugin types with what to write', () => {
    const { errors, warnings } = readSection(
      {
        third_part_codec: {
          codecs: [
            { enable: true, type: 'npm', path: '@acme/proto', loader_func_name: 'codec' },
            { enable: false, type: 'go-plugin', path: 'x.so' },
            { enable: true, type: 'go-plugin', path: 'y.so' },
          ],
        },
      },
      '',
      readThirdPartCodecs,
    );
    expect(errors).toEqual([
      'third_part_codec.codecs[2].type: codec type "go-plugin" cannot be loaded by mosn-ts (it loads protocol packages from npm): use "type": "npm" with the package name in "path"',
    ]);
    expect(warnings).toEqual([]);
  });
});

describe('readThirdPartStreamFilters', () => {
  it('accepts npm filter packages and disabled entries; refuses another type and an entry without a path, with their paths', () => {
    const { errors, warnings } = readSection(
      {
        third_part_stream_filter: {
          filters: [
            { enable: true, type: 'npm', path: '@acme/filter', loader_func_name: 'filter' },
            { type: 'npm', path: './my-filter.js' },
            { enable: false, type: 'go-plugin', path: 'x.so' },
            { enable: true, type: 'go-plugin', path: 'y.so' },
            { type: 'npm', path: '', so_path: 'z.so' },
          ],
        },
      },
      '',
      readThirdPartStreamFilters,
    );
    expect(errors).toEqual([
      'third_part_stream_filter.filters[3].type: stream filter package type "go-plugin" cannot be loaded by mosn-ts (it loads filter packages from npm): use "type": "npm" with the package name or a file in "path"',
      'third_part_stream_filter.filters[4].path: expected a non-empty string',
    ]);
    expect(warnings).toEqual(['third_part_stream_filter.filters[4].so_path: unknown key; ignored']);
  });
});

describe('readExtends', () => {
  const read = (doc: Record<string, unknown>) => {
    const { result, errors, warnings } = readSection(doc, '', readExtends);
    return { errors, warnings, value: result };
  };

  it('refuses an extension of another type, and one without a type', () => {
    expect(read({ extends: [{ type: 'gateway_plugin', config: {} }, {}] }).errors).toEqual([
      'extends[0].type: extension "gateway_plugin" is not supported by mosn-ts (known: dubbo_registry, sofa_registry)',
      'extends[1].type: is required: expected a string',
    ]);
  });

  it("reads MOSN's dubbo_registry with the mosn-ts keys; the API on 127.0.0.1:22222 by default", () => {
    const { errors, warnings, value } = read({ extends: [{ type: 'dubbo_registry', config: { enable: true, server_port: 20080, publish_ip: '10.0.0.7' } }] });
    expect([errors, warnings]).toEqual([[], []]);
    expect(value).toEqual({ dubbo: { serverPort: 20080, api: { host: '127.0.0.1', port: 22222 }, publishIp: '10.0.0.7', subscriptions: [] }, debounceMs: 50, sessionTimeoutMs: 30000 });
  });

  it('a dubbo_registry that is not enabled starts nothing (a warning); a bad subscription is an error with its path', () => {
    expect(read({ extends: [{ type: 'dubbo_registry', config: { server_port: 20080 } }] })).toMatchObject({ errors: [], warnings: ['extends[0].config.enable: the dubbo registry is off (MOSN starts it only with "enable": true)'], value: undefined });
    const bad = read({
      extends: [{ type: 'dubbo_registry', config: { enable: true, server_port: 20080, api_port: 70000, subscriptions: [{ registry: { type: 'etcd', addr: 'zk' }, service: {} }] } }],
    });
    expect(bad.errors).toEqual([
      'extends[0].config.api_port: expected a number from 0 to 65535, got 70000',
      'extends[0].config.subscriptions[0].registry.type: "etcd" is not a registry mosn-ts speaks: only "zookeeper"',
      'extends[0].config.subscriptions[0].registry.addr: expected "host:port" (several separated by commas), got "zk"',
      'extends[0].config.subscriptions[0].service.interface: is required: expected a string',
      'extends[0].config.subscriptions[0].service.methods: is required: expected an array of method names',
    ]);
  });

  it('reads sofa_registry: services as Bolt names (interface:version), a router, the registry', () => {
    const { errors, value } = read({
      extends: [{ type: 'sofa_registry', config: { registry: { type: 'zookeeper', addr: '127.0.0.1:2181' }, router: 'bolt', subscriptions: [{ service: 'com.a.B:1.0' }, { service: 'nover' }] } }],
    });
    expect(errors).toEqual(['extends[0].config.subscriptions[1].service: expected the Bolt service name "interface:version" (sofa-rpc\'s service id), got "nover"']);
    expect(value?.sofa).toEqual({
      registry: { addr: '127.0.0.1:2181', username: '', password: '' },
      root: '/sofa-rpc',
      router: 'bolt',
      subscriptions: [{ service: 'com.a.B:1.0', interface: 'com.a.B', version: '1.0', uniqueId: '', group: '' }],
    });
  });

  it("reads sofa_registry's mesh API keys; the API only with api_port", () => {
    const { errors, warnings, value } = read({
      extends: [{ type: 'sofa_registry', config: { registry: { type: 'zookeeper', addr: '127.0.0.1:2181' }, api_port: 13330, server_port: 12200, publish_ip: '10.0.0.7', debounce: '200ms' } }],
    });
    expect([errors, warnings]).toEqual([[], []]);
    expect(value).toMatchObject({ debounceMs: 200, sofa: { api: { host: '127.0.0.1', port: 13330, serverPort: 12200, publishIp: '10.0.0.7' } } });
    expect(read({ extends: [{ type: 'sofa_registry', config: { registry: { type: 'zookeeper', addr: '127.0.0.1:2181' } } }] }).value?.sofa?.api).toBeUndefined();
  });

  it('refuses a registry type given twice', () => {
    const cfg = { type: 'sofa_registry', config: { registry: { type: 'zookeeper', addr: '127.0.0.1:2181' } } };
    expect(read({ extends: [cfg, cfg] }).errors).toEqual(['extends[1].type: a second "sofa_registry": give one']);
  });
});
