import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonErrorOffset, loadConfigFile } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'mosn-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(text: string, ext = '.json'): string {
  const f = join(dir, `config-${n++}${ext}`);
  writeFileSync(f, text);
  return f;
}

/** The error loadConfigFile throws for `text`. */
function loadError(text: string, ext = '.json'): { code: string; message: string } {
  const f = file(text, ext);
  try {
    loadConfigFile(f);
  } catch (e) {
    const err = e as { code: string; message: string };
    return { code: err.code, message: err.message.replace(f, 'FILE') };
  }
  throw new Error('no error');
}

const CONFIG = `{
  "servers": [
    {
      "default_log_level": "INFO",
      "listeners": [
        { "name": "l", "address": "127.0.0.1:2045", },
      ]
    }
  ]
}
`;

describe('loadConfigFile', () => {
  it('reads JSON and YAML', () => {
    expect(loadConfigFile(file('{"servers": []}'))).toEqual({ servers: [] });
    expect(loadConfigFile(file('servers: []\n', '.yaml'))).toEqual({ servers: [] });
    expect(loadConfigFile(file('\ufeff{"a": 1}'))).toEqual({ a: 1 });
  });

  it('says where a JSON syntax error is: line, column, the line and a caret under the column', () => {
    const e = loadError(CONFIG);
    expect(e.code).toBe('MOSN_ERR_CONFIG_PARSE');
    expect(e.message).toBe(
      'config file FILE is not valid JSON: Expected double-quoted property name at line 6, column 53:\n' +
        '\n' +
        '        { "name": "l", "address": "127.0.0.1:2045", },\n' +
        '                                                    ^\n',
    );
  });

  it('shows the line before when the error is at the start of its line (a trailing comma before "]")', () => {
    const e = loadError('{\n  "a": [\n    1,\n    2,\n  ]\n}\n');
    expect(e.message).toBe('config file FILE is not valid JSON: Unexpected token \']\' at line 5, column 3:\n\n    2,\n  ]\n  ^\n');
  });

  it('finds the place of errors V8 gives no position for', () => {
    // V8: `Unexpected token ''', "{"a": 'x'}" is not valid JSON`
    expect(loadError('{\n  "a": \'x\'\n}').message).toBe("config file FILE is not valid JSON: Unexpected token ''' at line 2, column 8:\n\n  \"a\": 'x'\n       ^\n");
    // the end of the input: just after its last character, not on the blank lines after it
    expect(loadError('{\n  "a":\n\n\n').message).toBe('config file FILE is not valid JSON: Unexpected end of JSON input at line 2, column 7:\n\n  "a":\n      ^\n');
    expect(loadError('').message).toBe('config file FILE is not valid JSON: Unexpected end of JSON input at line 1, column 1:\n\n\n^\n');
  });

  it('keeps tabs under the caret and cuts a long (minified) line around the column', () => {
    expect(loadError('{\n\t"a":\t1 2}').message).toContain('at line 2, column 9:\n\n\t"a":\t1 2}\n\t    \t  ^\n');
    const minified = JSON.stringify({ servers: [{ listeners: Array.from({ length: 100 }, (_, i) => ({ name: `l${i}`, address: `127.0.0.1:${2000 + i}` })) }] });
    const at = minified.indexOf(',{', 2000) + 1;
    const broken = minified.slice(0, at) + '#' + minified.slice(at);
    const e = loadError(broken).message;
    expect(e).toContain(`at line 1, column ${at + 1}:`);
    const [, , shown, caret] = e.split('\n');
    expect(shown!.length).toBeLessThanOrEqual(102);
    expect(shown![caret!.indexOf('^')]).toBe('#');
  });

  it('leaves YAML errors as the YAML parser words them', () => {
    expect(loadError('a: b: c\n', '.yml').message).toBe('config file FILE is not valid YAML: Nested mappings are not allowed in compact mappings at line 1, column 4:\n\na: b: c\n   ^\n');
  });

  it('reports a file it cannot read', () => {
    expect(() => loadConfigFile(join(dir, 'missing.json'))).toThrow(/cannot read config file .*missing\.json: ENOENT/);
  });
});

describe('jsonErrorOffset', () => {
  it('agrees with V8 wherever V8 gives a position', () => {
    const cases = ['{"a": 1,}', '{"a" 1}', '{"a": 1', '{"a": "x\ny"}', '{"a":1}}', '{"a": 01}', '{"a": "\\q"}', '[1, 2', '{"a": "\\u12x4"}', '{"a": -}', '[1.]', '[1e]', '[-01]', '{"a":1} x', '{"a": 1}\n}'];
    for (const text of cases) {
      let v8: number | undefined;
      try {
        JSON.parse(text);
      } catch (e) {
        const m = / JSON at position (\d+)/.exec((e as Error).message);
        v8 = m ? Number(m[1]) : text.length;
      }
      expect(jsonErrorOffset(text), text).toBe(v8);
    }
  });

  it('finds nothing wrong in valid JSON', () => {
    expect(jsonErrorOffset(' {"a": [1, -2.5e+3, true, false, null, "\\u00e9\\n", {}], "b": {"c": []}} ')).toBeUndefined();
  });
});
