import type { LoadBalancerFactory } from './load-balancer.js';
import { HealthView } from './panic.js';
import { readSettings } from './settings.js';

/** `LB_ROUNDROBIN`: each candidate host in turn. */
export const roundRobin: LoadBalancerFactory = (hosts, config) => {
  const view = new HealthView(hosts, readSettings(config).panicThreshold);
  let next = 0;
  return {
    chooseHost() {
      const c = view.current();
      if (c.length === 0) return undefined;
      next = (next + 1) % 0x7fffffff;
      return c[next % c.length];
    },
  };
};

/** `LB_RANDOM`: a candidate host chosen uniformly at random. */
export const random: LoadBalancerFactory = (hosts, config) => {
  const settings = readSettings(config);
  const view = new HealthView(hosts, settings.panicThreshold);
  return {
    chooseHost() {
      const c = view.current();
      if (c.length === 0) return undefined;
      return c[Math.floor(settings.random() * c.length)];
    },
  };
};
