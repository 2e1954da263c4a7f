import { describe, expect, it } from 'vitest';
import { LOAD_BALANCERS } from './index.js';
import { testCluster } from './testing.js';

describe('LOAD_BALANCERS', () => {
  it('has every MOSN lb_type but LB_ORIGINAL_DST, each choosing a host of its cluster', () => {
    expect(Object.keys(LOAD_BALANCERS).sort()).toEqual([
      'LB_LEAST_CONNECTION',
      'LB_LEAST_REQUEST',
      'LB_MAGLEV',
      'LB_PEAK_EWMA',
      'LB_RANDOM',
      'LB_REQUEST_ROUNDROBIN',
      'LB_ROUNDROBIN',
      'LB_WEIGHTED_ROUNDROBIN',
    ]);
    for (const factory of Object.values(LOAD_BALANCERS)) {
      const { hosts, lb } = testCluster(factory, [1, 2, 3]);
      expect(hosts).toContain(lb.chooseHost({ hashKey: 'k', sourceAddress: '10.1.1.1:5000' }));
      expect(hosts).toContain(lb.chooseHost());
    }
  });
});
