import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { MosnError } from '@mosn/proxy';
import { parse as parseYaml } from 'yaml';

/** Read a config file: JSON, or YAML when the name ends in .yaml/.yml. */
export function loadConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new MosnError('MOSN_ERR_CONFIG_READ', `cannot read config file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  // an editor's byte order mark is not part of the config
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const ext = extname(file).toLowerCase();
  const yaml = ext === '.yaml' || ext === '.yml';
  try {
    return yaml ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    const message = yaml ? (e as Error).message : jsonErrorMessage(text, e as Error);
    throw new MosnError('MOSN_ERR_CONFIG_PARSE', `config file ${file} is not valid ${yaml ? 'YAML' : 'JSON'}: ${message}`, { cause: e });
  }
}

/**
 * A JSON syntax error as the YAML parser words its own: what is wrong, at line and column (1-based), then
 * the line (and the one before it, when the error is at the line's start: a trailing comma, say) with a
 * caret under the column. V8's message gives an offset for most errors and none for some; the offset is
 * then found by scanning the text.
 */
export function jsonErrorMessage(text: string, err: Error): string {
  // `... in JSON at position 12`, `... after JSON at position 12`, `Unexpected token 'x', ..."text"... is not valid JSON`
  const m = /^(.*?)(?:(?: in JSON)? at position (\d+)|, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON)$/s.exec(err.message);
  const what = m ? m[1]! : err.message;
  let offset = m?.[2] !== undefined ? Number(m[2]) : jsonErrorOffset(text);
  if (offset === undefined) return err.message;
  // the end of the input: point just after its last character, not at trailing blank lines
  const end = text.trimEnd().length;
  if (offset > end) offset = end;
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  let lineEnd = text.indexOf('\n', offset);
  if (lineEnd < 0) lineEnd = text.length;
  const line = text.slice(lineStart, lineEnd).replace(/\r$/, '');
  const lineNo = countLines(text, lineStart);
  const column = offset - lineStart + 1;
  const shown = excerpt(line, column - 1);
  let context = '';
  if (lineStart > 0 && line.slice(0, column - 1).trim() === '') {
    const prevStart = text.lastIndexOf('\n', lineStart - 2) + 1;
    context = excerpt(text.slice(prevStart, lineStart - 1).replace(/\r$/, ''), 0).text + '\n';
  }
  // the caret keeps the line's tabs, so that it stands under the column in any tab width
  const pad = shown.text.slice(0, shown.caret).replace(/[^\t]/g, ' ');
  return `${what} at line ${lineNo}, column ${column}:\n\n${context}${shown.text}\n${pad}^\n`;
}

function countLines(text: string, upTo: number): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < upTo; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** At most ~100 characters of a line around `at` (a minified config is one long line). */
function excerpt(line: string, at: number): { text: string; caret: number } {
  const MAX = 100;
  if (line.length <= MAX) return { text: line, caret: at };
  const from = Math.max(0, Math.min(at - 60, line.length - MAX));
  const to = Math.min(line.length, from + MAX);
  const head = from > 0 ? '…' : '';
  return { text: head + line.slice(from, to) + (to < line.length ? '…' : ''), caret: at - from + head.length };
}

/**
 * Where JSON text first goes wrong (RFC 8259), for the errors V8 reports without an offset
 * (`Unexpected token 'x', "..." is not valid JSON`, `Unexpected end of JSON input`). Undefined when the
 * text is valid or too deeply nested to scan.
 */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const fail = (): never => {
    throw new JsonSyntaxAt(i);
  };
  const ws = (): void => {
    for (let c = text.charCodeAt(i); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = text.charCodeAt(++i));
  };
  const string = (): void => {
    i++; // the opening quote
    for (;;) {
      const c = text.charCodeAt(i);
      if (Number.isNaN(c) || c < 0x20) fail();
      if (c === 0x22) {
        i++;
        return;
      }
      if (c !== 0x5c) {
        i++;
        continue;
      }
      i++;
      const e = text[i];
      if (e !== undefined && '"\\/bfnrt'.includes(e)) i++;
      else if (e === 'u') {
        i++;
        for (let k = 0; k < 4; k++, i++) if (!isHex(text.charCodeAt(i))) fail();
      } else fail();
    }
  };
  const digits = (): void => {
    if (!isDigit(text.charCodeAt(i))) fail();
    while (isDigit(text.charCodeAt(i))) i++;
  };
  const number = (): void => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else digits();
    if (text[i] === '.') {
      i++;
      digits();
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      digits();
    }
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else fail();
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else fail();
      }
    }
    if (c === '"') return string();
    if (c === '-' || isDigit(text.charCodeAt(i))) return number();
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return;
      }
    }
    fail();
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
    return undefined;
  } catch (e) {
    if (e instanceof JsonSyntaxAt) return e.offset;
    return undefined; // nested past the stack
  }
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

class JsonSyntaxAt {
  constructor(readonly offset: number) {}
}
