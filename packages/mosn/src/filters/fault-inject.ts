import { FaultInjectFilterFactory, type FaultInjectConfig } from '@mosn/proxy';
import type { NetworkFilterExtension } from '../extensions.js';

/**
 * `fault_inject` (MOSN's network filter, before `proxy` or `tcp_proxy`): `delay_percent` (whole percents 0-100) of
 * the reads wait `delay_duration` (a duration; a number is nanoseconds, as MOSN) before the next filter sees them.
 */
export const faultInjectFilter: NetworkFilterExtension<FaultInjectConfig> = {
  read(c) {
    const delayPercent = c.num('delay_percent', { min: 0, max: 100 }) ?? 0;
    const delayMs = c.duration('delay_duration', { numberUnit: 'ns' }) ?? 0;
    c.finish();
    if (delayPercent > 0 && delayMs === 0) c.problems.warn(c.at('delay_duration'), 'is 0: no read is delayed');
    return { delayPercent, delayMs };
  },
  build: (config) => new FaultInjectFilterFactory(config),
};
