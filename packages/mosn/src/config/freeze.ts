/** Plain data: an array, or an object made by a literal or JSON (prototype Object.prototype or null). */
function isPlain(v: object): boolean {
  if (Array.isArray(v)) return true;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Freeze a config value in place, deeply, and return it: its plain objects and arrays only. Anything else is left
 * as it is, and not looked into: a RegExp (String.replace writes a global one's `lastIndex`), functions, Maps,
 * class instances, and the objects in `skip` (registry entries such as ProtocolEntry, shared with the running
 * proxy, and their codecs).
 */
export function deepFreeze<T>(value: T, skip: ReadonlySet<object> = new Set()): T {
  const seen = new Set<object>();
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v) || skip.has(v) || !isPlain(v)) return;
    seen.add(v);
    for (const k of Object.keys(v)) visit((v as Record<string, unknown>)[k]);
    Object.freeze(v);
  };
  visit(value);
  return value;
}
