import type { StatsMatcher } from '../config/metrics-section.js';
import { toSeries, type Series } from './names.js';

/** Stats whose value is a level, not a running count: rendered as gauges. */
const GAUGE = /(^config\.version$|_active$|\.providers$|\.invalid_providers$|^registry\.publications$)/;

/** Whether stats_matcher leaves `s` out (MOSN's isExclusionLabels / isExclusionKey). */
export function excluded(s: Series, m: StatsMatcher): boolean {
  if (m.rejectAll) return true;
  if (m.exclusionLabels.some((l) => l in s.labels)) return true;
  return s.keys.some((k) => m.exclusionKeys.includes(k));
}

/** A label value escaped as the text format wants: backslash, double quote and newline. */
function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/**
 * The Prometheus text exposition format (version 0.0.4) of a stats snapshot: one `# TYPE` line per metric name,
 * then its series, metrics sorted by name.
 */
export function renderPrometheus(snapshot: Readonly<Record<string, number>>, matcher: StatsMatcher): string {
  const byName = new Map<string, { type: 'counter' | 'gauge'; lines: string[] }>();
  for (const [stat, value] of Object.entries(snapshot)) {
    const s = toSeries(stat, value);
    if (excluded(s, matcher)) continue;
    let m = byName.get(s.name);
    if (!m) byName.set(s.name, (m = { type: GAUGE.test(stat) ? 'gauge' : 'counter', lines: [] }));
    const labels = Object.entries(s.labels)
      .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
      .join(',');
    m.lines.push(`${s.name}${labels ? `{${labels}}` : ''} ${formatValue(s.value)}\n`);
  }
  let out = '';
  for (const name of [...byName.keys()].sort()) {
    const m = byName.get(name)!;
    out += `# TYPE ${name} ${m.type}\n${m.lines.join('')}`;
  }
  return out;
}
