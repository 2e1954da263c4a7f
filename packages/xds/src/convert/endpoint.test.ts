import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, type Message } from '../proto.js';
import { ConvertContext, ConvertProblems } from './context.js';
import { convertClusterLoadAssignment } from './endpoint.js';
import { integerWeights } from './endpoint-weights.js';

const CLA = 'envoy.config.endpoint.v3.ClusterLoadAssignment';

/** Round-trips `cla` through the protobuf codec (the decoder's exact shape), then converts it. */
function convert(cla: Message) {
  const problems = new ConvertProblems();
  const hosts = convertClusterLoadAssignment(decodeMessage(CLA, encodeMessage(CLA, { cluster_name: 'svc', ...cla })), new ConvertContext(problems, 'ClusterLoadAssignment "svc"'));
  return { hosts, errors: problems.errors, warnings: problems.warnings };
}

function ep(address: string, port: number, extra: Message = {}): Message {
  return { endpoint: { address: { socket_address: { address, port_value: port } } }, ...extra };
}

describe('convertClusterLoadAssignment', () => {
  it('takes every locality (MOSN takes only the last), weight 1 by default', () => {
    const r = convert({ endpoints: [{ lb_endpoints: [ep('10.0.0.1', 80), ep('10.0.0.2', 80)] }, { lb_endpoints: [ep('10.0.1.1', 80)] }] });
    expect(r.hosts).toEqual([
      { address: '10.0.0.1:80', weight: 1 },
      { address: '10.0.0.2:80', weight: 1 },
      { address: '10.0.1.1:80', weight: 1 },
    ]);
    expect([...r.errors, ...r.warnings]).toEqual([]);
  });

  it('an empty assignment is no host, without a problem', () => {
    expect(convert({})).toEqual({ hosts: [], errors: [], warnings: [] });
  });

  it('keeps endpoint weights, hostname, and envoy.lb labels as mosn.lb strings', () => {
    const r = convert({
      endpoints: [{
        lb_endpoints: [
          ep('10.0.0.1', 8080, {
            load_balancing_weight: { value: 3 },
            metadata: { filter_metadata: { 'envoy.lb': { fields: { version: { stringValue: 'v2' }, shard: { numberValue: 2 }, canary: { boolValue: true } } }, istio: { fields: { workload: { stringValue: 'w' } } } } },
          }),
          ep('10.0.0.2', 8080, { load_balancing_weight: { value: 5 }, endpoint: { hostname: 'b.example', address: { socket_address: { address: '10.0.0.2', port_value: 8080 } } } }),
        ],
      }],
    });
    expect(r.hosts).toEqual([
      { address: '10.0.0.1:8080', weight: 3, metadata: { filter_metadata: { 'mosn.lb': { version: 'v2', shard: '2', canary: 'true' } } } },
      { address: '10.0.0.2:8080', weight: 5, hostname: 'b.example' },
    ]);
    expect([...r.errors, ...r.warnings]).toEqual([]);
  });

  it('a label that is a list is an error (leaving it out would move the host between subsets)', () => {
    const r = convert({ endpoints: [{ lb_endpoints: [ep('10.0.0.1', 80, { metadata: { filter_metadata: { 'envoy.lb': { fields: { zones: { listValue: { values: [{ stringValue: 'a' }] } } } } } } })] }] });
    expect(r.errors).toEqual([{ path: 'ClusterLoadAssignment "svc".endpoints[0].lb_endpoints[0].metadata.filter_metadata["envoy.lb"].zones', message: expect.stringContaining('string, number or bool') }]);
  });

  it('writes IPv6 as [ip]:port and pipes as unix:path', () => {
    const r = convert({ endpoints: [{ lb_endpoints: [ep('::1', 9000), { endpoint: { address: { pipe: { path: '/tmp/up.sock' } } } }, { endpoint: { address: { pipe: { path: '@abstract' } } } }] }] });
    expect(r.hosts.map((h) => h.address)).toEqual(['[::1]:9000', 'unix:/tmp/up.sock', 'unix:@abstract']);
    expect(r.errors).toEqual([]);
  });

  it('refuses addresses MOSN cannot dial as Envoy would', () => {
    const r = convert({
      endpoints: [{
        lb_endpoints: [
          ep('backend.example', 80),
          { endpoint: { address: { socket_address: { address: '10.0.0.1', named_port: 'http' } } } },
          { endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 53, protocol: 'UDP' } } } },
          ep('10.0.0.1', 0),
          { endpoint_name: 'x' },
          { endpoint: { address: { envoy_internal_address: { server_listener_name: 'l' } } } },
        ],
      }],
    });
    expect(r.hosts).toEqual([]);
    expect(r.errors.map((e) => e.path.replace('ClusterLoadAssignment "svc".endpoints[0].', ''))).toEqual([
      'lb_endpoints[0].endpoint.address.socket_address.address',
      'lb_endpoints[1].endpoint.address.socket_address.named_port',
      'lb_endpoints[2].endpoint.address.socket_address.protocol',
      'lb_endpoints[3].endpoint.address.socket_address.port_value',
      'lb_endpoints[4].endpoint_name',
      'lb_endpoints[5].endpoint.address.envoy_internal_address',
    ]);
    expect(r.errors[0]!.message).toContain('not an IP address');
  });

  describe('health', () => {
    it('leaves out UNHEALTHY, DRAINING and TIMEOUT endpoints; keeps HEALTHY and UNKNOWN', () => {
      const r = convert({
        endpoints: [{
          lb_endpoints: [
            ep('10.0.0.1', 80, { health_status: 'HEALTHY' }),
            ep('10.0.0.2', 80, { health_status: 'UNHEALTHY' }),
            ep('10.0.0.3', 80, { health_status: 'DRAINING' }),
            ep('10.0.0.4', 80, { health_status: 'TIMEOUT' }),
            ep('10.0.0.5', 80),
            ep('10.0.0.6', 80, { health_status: 'DEGRADED' }),
          ],
        }],
      });
      expect(r.hosts.map((h) => h.address)).toEqual(['10.0.0.1:80', '10.0.0.5:80']);
      expect([...r.errors, ...r.warnings]).toEqual([]);
    });

    it('uses DEGRADED endpoints when the priority has no healthy one', () => {
      const r = convert({ endpoints: [{ lb_endpoints: [ep('10.0.0.1', 80, { health_status: 'UNHEALTHY' }), ep('10.0.0.2', 80, { health_status: 'DEGRADED' })] }] });
      expect(r.hosts.map((h) => h.address)).toEqual(['10.0.0.2:80']);
    });

    it('no usable endpoint: no host, and a warning', () => {
      const r = convert({ endpoints: [{ lb_endpoints: [ep('10.0.0.1', 80, { health_status: 'DRAINING' })] }] });
      expect(r.hosts).toEqual([]);
      expect(r.warnings).toEqual([{ path: 'ClusterLoadAssignment "svc"', message: expect.stringContaining('no endpoint is usable') }]);
    });
  });

  describe('priorities', () => {
    it('uses the lowest priority with a usable endpoint, whatever the order of the list', () => {
      const r = convert({
        endpoints: [
          { priority: 1, lb_endpoints: [ep('10.0.1.1', 80)] },
          { priority: 0, lb_endpoints: [ep('10.0.0.1', 80), ep('10.0.0.2', 80)] },
          { priority: 2, lb_endpoints: [ep('10.0.2.1', 80)] },
        ],
      });
      expect(r.hosts.map((h) => h.address)).toEqual(['10.0.0.1:80', '10.0.0.2:80']);
      expect(r.warnings).toEqual([{ path: 'ClusterLoadAssignment "svc"', message: expect.stringContaining('only priority 0 is used') }]);
    });

    it('fails over to the next priority when every endpoint of the first is unhealthy', () => {
      const r = convert({
        endpoints: [
          { priority: 0, lb_endpoints: [ep('10.0.0.1', 80, { health_status: 'UNHEALTHY' })] },
          { priority: 1, lb_endpoints: [ep('10.0.1.1', 80)] },
        ],
      });
      expect(r.hosts.map((h) => h.address)).toEqual(['10.0.1.1:80']);
    });
  });

  describe('locality weights', () => {
    it('a host gets its share of its locality\'s weight', () => {
      // locality a: weight 2 over endpoint weights 1 and 3 → 0.5 and 1.5; locality b: weight 1 → 1. As integers: 1, 3, 2.
      const r = convert({
        endpoints: [
          { load_balancing_weight: { value: 2 }, lb_endpoints: [ep('10.0.0.1', 80), ep('10.0.0.2', 80, { load_balancing_weight: { value: 3 } })] },
          { load_balancing_weight: { value: 1 }, lb_endpoints: [ep('10.0.1.1', 80)] },
        ],
      });
      expect(r.hosts.map((h) => [h.address, h.weight])).toEqual([['10.0.0.1:80', 1], ['10.0.0.2:80', 3], ['10.0.1.1:80', 2]]);
      expect([...r.errors, ...r.warnings]).toEqual([]);
    });

    it('equal localities of unequal size: each locality gets the same traffic', () => {
      const r = convert({
        endpoints: [
          { load_balancing_weight: { value: 50 }, lb_endpoints: [ep('10.0.0.1', 80), ep('10.0.0.2', 80), ep('10.0.0.3', 80)] },
          { load_balancing_weight: { value: 50 }, lb_endpoints: [ep('10.0.1.1', 80)] },
        ],
      });
      expect(r.hosts.map((h) => h.weight)).toEqual([1, 1, 1, 3]);
    });

    it('a locality with unhealthy hosts weighs less, by Envoy\'s overprovisioning factor (1.4)', () => {
      // a: 2 of 4 usable → 1 × min(1, 1.4 × 0.5) = 0.7, 0.35 each; b: 1 → 0.35 : 0.35 : 1 = 7 : 7 : 20
      const r = convert({
        endpoints: [
          { load_balancing_weight: { value: 1 }, lb_endpoints: [ep('10.0.0.1', 80), ep('10.0.0.2', 80), ep('10.0.0.3', 80, { health_status: 'UNHEALTHY' }), ep('10.0.0.4', 80, { health_status: 'UNHEALTHY' })] },
          { load_balancing_weight: { value: 1 }, lb_endpoints: [ep('10.0.1.1', 80)] },
        ],
      });
      expect(r.hosts.map((h) => [h.address, h.weight])).toEqual([['10.0.0.1:80', 7], ['10.0.0.2:80', 7], ['10.0.1.1:80', 20]]);
    });

    it('a locality without a weight among weighted ones gets no traffic, as in Envoy', () => {
      const r = convert({ endpoints: [{ load_balancing_weight: { value: 1 }, lb_endpoints: [ep('10.0.0.1', 80)] }, { lb_endpoints: [ep('10.0.1.1', 80)] }] });
      expect(r.hosts.map((h) => h.address)).toEqual(['10.0.0.1:80']);
      expect(r.warnings).toEqual([{ path: 'ClusterLoadAssignment "svc".endpoints[1]', message: expect.stringContaining('gets no traffic') }]);
    });
  });

  it('scales weights above 128 into MOSN\'s range, with a warning when the ratios cannot be kept', () => {
    const exact = convert({ endpoints: [{ lb_endpoints: [ep('10.0.0.1', 80, { load_balancing_weight: { value: 200 } }), ep('10.0.0.2', 80, { load_balancing_weight: { value: 600 } })] }] });
    expect(exact.hosts.map((h) => h.weight)).toEqual([1, 3]);
    expect(exact.warnings).toEqual([]);
    const rough = convert({ endpoints: [{ lb_endpoints: [ep('10.0.0.1', 80, { load_balancing_weight: { value: 1 } }), ep('10.0.0.2', 80, { load_balancing_weight: { value: 1000 } })] }] });
    expect(rough.hosts.map((h) => h.weight)).toEqual([1, 128]);
    expect(rough.warnings).toEqual([{ path: 'ClusterLoadAssignment "svc"', message: expect.stringContaining('approximate') }]);
  });

  it('warns about drop_overloads and endpoint fields it does not use', () => {
    const r = convert({
      policy: { drop_overloads: [{ category: 'lb', drop_percentage: { numerator: 10 } }] },
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 80 } }, health_check_config: { port_value: 8081 } } }] }],
    });
    expect(r.hosts).toEqual([{ address: '10.0.0.1:80', weight: 1 }]);
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => w.path)).toEqual(['ClusterLoadAssignment "svc".policy.drop_overloads', 'ClusterLoadAssignment "svc"']);
    expect(r.warnings[1]!.message).toContain('endpoint.health_check_config');
  });
});

describe('integerWeights', () => {
  it('keeps integers in range as they are', () => {
    expect(integerWeights([3, 5, 128])).toEqual({ weights: [3, 5, 128], approximate: false });
  });
  it('finds a multiplier that makes fractions integers', () => {
    expect(integerWeights([0.5, 0.5, 1])).toEqual({ weights: [1, 1, 2], approximate: false });
    expect(integerWeights([1 / 3, 2 / 3])).toEqual({ weights: [1, 2], approximate: false });
  });
  it('scales large weights down, reduced by their common divisor', () => {
    expect(integerWeights([1000, 2000])).toEqual({ weights: [1, 2], approximate: false });
    expect(integerWeights([1000, 1001]).weights).toEqual([1, 1]);
    expect(integerWeights([1, 1000])).toEqual({ weights: [1, 128], approximate: true });
  });
});
