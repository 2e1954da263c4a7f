import type { StatsMatcher } from '../config/metrics-section.js';
import { toSeries, type Series } from './names.js';

/** Stats whose value is a level, not a running count: rendered as gauges. */
const GAUGE = /(^config\.version$|_active$|_bytes_buffered$|^server\.|\.providers$|\.invalid_providers$|^registry\.publications$|\.health_check\.healthy$|^workers\.running$)/;

/** Whether the stat `name` is a level (a gauge), not a running count. */
export function isGaugeStat(name: string): boolean {
  return GAUGE.test(name);
}

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

/** `name{labels}` (no braces without labels); `extra` goes last (a bucket's `le`). */
function seriesKey(name: string, labels: Readonly<Record<string, string>>, extra?: [string, string]): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length > 0 ? `${name}{${parts.join(',')}}` : name;
}

/** One histogram series (a label set): its buckets (not cumulative), sum and count. */
interface HistogramSeries {
  labels: Readonly<Record<string, string>>;
  buckets: Array<[le: string, count: number]>;
  sum: number;
  count: number;
}

/** A histogram's lines: cumulative `_bucket` lines by upper bound (`+Inf` last), then `_sum` and `_count`. */
function histogramLines(name: string, h: HistogramSeries): string {
  const bound = (le: string) => (le === '+Inf' ? Infinity : Number(le));
  h.buckets.sort((a, b) => bound(a[0]) - bound(b[0]));
  let out = '';
  let running = 0;
  for (const [le, n] of h.buckets) {
    running += n;
    out += `${seriesKey(`${name}_bucket`, h.labels, ['le', le])} ${formatValue(running)}\n`;
  }
  out += `${seriesKey(`${name}_sum`, h.labels)} ${formatValue(h.sum)}\n`;
  out += `${seriesKey(`${name}_count`, h.labels)} ${formatValue(h.count)}\n`;
  return out;
}

/**
 * The Prometheus text exposition format (version 0.0.4) of a stats snapshot: one `# TYPE` line per metric name,
 * then its series, metrics sorted by name. Histogram parts (`<stat>.bucket.<le>`, `.sum`, `.count`) become one
 * histogram per label set, its buckets cumulative as the format wants.
 */
export function renderPrometheus(snapshot: Readonly<Record<string, number>>, matcher: StatsMatcher): string {
  const byName = new Map<string, { type: 'counter' | 'gauge'; lines: string[] }>();
  const histograms = new Map<string, Map<string, HistogramSeries>>();
  for (const [stat, value] of Object.entries(snapshot)) {
    const s = toSeries(stat, value);
    if (excluded(s, matcher)) continue;
    if (s.histogram) {
      let family = histograms.get(s.name);
      if (!family) histograms.set(s.name, (family = new Map()));
      const key = seriesKey('', s.labels);
      let h = family.get(key);
      if (!h) family.set(key, (h = { labels: s.labels, buckets: [], sum: 0, count: 0 }));
      if (s.histogram.part === 'bucket') h.buckets.push([s.histogram.le, s.value]);
      else h[s.histogram.part] = s.value;
      continue;
    }
    let m = byName.get(s.name);
    if (!m) byName.set(s.name, (m = { type: isGaugeStat(stat) ? 'gauge' : 'counter', lines: [] }));
    m.lines.push(`${seriesKey(s.name, s.labels)} ${formatValue(s.value)}\n`);
  }
  const names = [...new Set([...byName.keys(), ...histograms.keys()])].sort();
  let out = '';
  for (const name of names) {
    const family = histograms.get(name);
    if (family) {
      out += `# TYPE ${name} histogram\n`;
      for (const h of family.values()) out += histogramLines(name, h);
      continue;
    }
    const m = byName.get(name)!;
    out += `# TYPE ${name} ${m.type}\n${m.lines.join('')}`;
  }
  return out;
}
