import { describe, expect, it } from 'vitest';
import { readExtends, readThirdPartCodecs } from './extensions-section.js';
import { readSection } from './testing.js';

describe('readThirdPartCodecs', () => {
  it('accepts npm codecs and disabled ones; refuses the Go plugin types with what to write', () => {
    const { errors, warnings } = readSection(
      {
        third_part_codec: {
          codecs: [
            { enable: true, type: 'npm', path: '@acme/proto', loader_func_name: 'codec' },
            { enable: false, type: 'go-plugin', path: 'x.so' },
            { enable: true, type: 'go-plugin', path: 'y.so' },
          ],
        },
      },
      '',
      readThirdPartCodecs,
    );
    expect(errors).toEqual([
      'third_part_codec.codecs[2].type: codec type "go-plugin" cannot be loaded by mosn-ts (it loads protocol packages from npm): use "type": "npm" with the package name in "path"',
    ]);
    expect(warnings).toEqual([]);
  });
});

describe('readExtends', () => {
  it('refuses each extension by its type', () => {
    expect(readSection({ extends: [{ type: 'dubbo_registry', config: {} }, {}] }, '', readExtends).errors).toEqual([
      'extends[0].type: extension "dubbo_registry" is not supported by mosn-ts yet',
      'extends[1].type: is required: expected a string',
    ]);
  });
});
