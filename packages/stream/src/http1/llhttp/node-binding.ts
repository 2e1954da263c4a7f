import { createRequire } from 'node:module';
import type { HTTPParserConstructor } from './types.js';

/**
 * Node's own llhttp binding, the parser behind `node:http`: `HTTPParser` of the internal module
 * `node:_http_common` (stable from Node 12 to 24, but internal). Undefined when the module or the class is gone;
 * whether it still behaves as mosn expects is the start-up check's business (check.ts).
 */
export const nodeHTTPParser: HTTPParserConstructor | undefined = load();

function load(): HTTPParserConstructor | undefined {
  try {
    const common = createRequire(import.meta.url)('node:_http_common') as { HTTPParser?: unknown };
    return typeof common.HTTPParser === 'function' ? (common.HTTPParser as HTTPParserConstructor) : undefined;
  } catch {
    return undefined;
  }
}
