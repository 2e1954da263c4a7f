import { faultFilterFactory, type FaultConfig, type HeaderMatcher } from '@mosn/proxy';
import { compileRegex } from '../config/config-reader.js';
import type { StreamFilterExtension } from './types.js';

/**
 * `fault` (MOSN's v2.StreamFaultInject): `delay.fixed_delay` (a duration) with `delay.percentage`,
 * `abort.status` with `abort.percentage` (whole percents, 0-100), `upstream_cluster`, and `headers`
 * (`name`, `value`, `regex`: all must match).
 */
export const faultFilter: StreamFilterExtension<FaultConfig> = {
  perRoute: true,
  read(c) {
    let delay: FaultConfig['delay'];
    let abort: FaultConfig['abort'];
    const d = c.obj('delay');
    if (d) {
      const delayMs = d.duration('fixed_delay', { numberUnit: 'ns' }) ?? 0;
      const percent = d.num('percentage', { min: 0, max: 100 }) ?? 0;
      d.finish();
      delay = { delayMs, percent };
    }
    const a = c.obj('abort');
    if (a) {
      const status = a.num('status', { min: 200, max: 599 });
      const percent = a.num('percentage', { min: 0, max: 100 }) ?? 0;
      if (status === undefined && percent > 0) a.problems.error(a.at('status'), 'is required with a percentage: expected an HTTP status such as 503');
      a.finish();
      if (status !== undefined) abort = { status, percent };
    }
    const upstreamCluster = c.str('upstream_cluster') || undefined;
    const headers: HeaderMatcher[] = [];
    for (const h of c.objects('headers')) {
      const name = h.str('name', { required: true, nonEmpty: true });
      const value = h.str('value') ?? '';
      const regex = h.bool('regex') ? compileRegex(h, 'value', value) : undefined;
      h.finish();
      if (name !== undefined) headers.push({ name, value, ...(regex ? { regex } : {}) });
    }
    c.finish();
    return { headers, ...(delay ? { delay } : {}), ...(abort ? { abort } : {}), ...(upstreamCluster ? { upstreamCluster } : {}) };
  },
  build: (config) => faultFilterFactory(config),
};
