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
  const ext = extname(file).toLowerCase();
  try {
    return ext === '.yaml' || ext === '.yml' ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new MosnError('MOSN_ERR_CONFIG_PARSE', `config file ${file} is not valid ${ext === '.yaml' || ext === '.yml' ? 'YAML' : 'JSON'}: ${(e as Error).message}`, { cause: e });
  }
}
