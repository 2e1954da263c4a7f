/**
 * Whether an `Accept-Encoding` value (RFC 9110 §12.5.3) accepts gzip: `gzip` (or its alias `x-gzip`) with a
 * q-value above 0, or `*` above 0 when gzip is not named. Tokens are case-insensitive; whitespace around them
 * and their parameters is allowed. Absent or empty: no.
 */
export function acceptsGzip(value: string | undefined): boolean {
  if (value === undefined || value === '') return false;
  let wildcard = false;
  let start = 0;
  while (start <= value.length) {
    let end = value.indexOf(',', start);
    if (end < 0) end = value.length;
    const item = value.slice(start, end);
    start = end + 1;
    const semi = item.indexOf(';');
    const coding = (semi < 0 ? item : item.slice(0, semi)).trim().toLowerCase();
    if (coding === 'gzip' || coding === 'x-gzip') return qValue(item, semi) > 0;
    if (coding === '*') wildcard = qValue(item, semi) > 0;
  }
  return wildcard;
}

/** The `q` parameter of one list item (1 without one; 0 for a value that is not a number). */
function qValue(item: string, semi: number): number {
  if (semi < 0) return 1;
  for (const param of item.slice(semi + 1).split(';')) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'q') continue;
    const q = Number(param.slice(eq + 1).trim());
    return Number.isFinite(q) ? q : 0;
  }
  return 1;
}
