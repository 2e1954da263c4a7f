/**
 * A request path as MOSN's HTTP/1 variable `request_path` gives it (fasthttp's `URI().Path()`): percent-decoded
 * (`+` stays `+`), with repeated slashes collapsed and `.` and `..` segments resolved, never above the root. So
 * `/%74est`, `//test` and `/a/../test` are all `/test`: a rule on a path cannot be passed by spelling it another
 * way. A path with none of `%`, `//`, `/.` is returned as it is, without copying.
 */
export function normalizedPath(path: string): string {
  if (path.indexOf('%') < 0 && path.indexOf('//') < 0 && path.indexOf('/.') < 0 && path.startsWith('/')) return path;
  const decoded = path.indexOf('%') < 0 ? path : percentDecoded(path);
  const out: string[] = [];
  const segments = decoded.split('/');
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    const last = i === segments.length - 1;
    if (s === '..') out.pop();
    else if (s !== '.' && (s !== '' || last)) out.push(s);
    // a trailing `.` or `..` leaves the path ending in a slash, as `/a/..` is `/`
    if (last && (s === '.' || s === '..')) out.push('');
  }
  return '/' + out.join('/');
}

/** `%XX` sequences as the bytes they stand for, read as UTF-8; a `%` not followed by two hex digits stays as it is. */
function percentDecoded(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25 && i + 2 < text.length && isHex(text.charCodeAt(i + 1)) && isHex(text.charCodeAt(i + 2))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x100) {
      // the HTTP parsers give the request target's bytes as latin1 characters
      bytes.push(c);
    } else {
      const cp = text.codePointAt(i)!;
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) bytes.push(b);
      if (cp > 0xffff) i++;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}
