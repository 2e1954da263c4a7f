import type { Logger } from '@mosn/proxy';
import { describeChange } from '../runtime/plan.js';
import { json } from './reply.js';
import type { AdminRequest, AdminSource, Reply } from './types.js';

/**
 * `POST /api/v1/reload` (mosn-ts's, not MOSN's): re-read the config file and apply it. 200 with the new version and
 * its changes; 400 with the problems (nothing changed); 404 when mosn was not started from a file.
 */
export function reloadHandler(log: Logger) {
  return async (req: AdminRequest, source: AdminSource): Promise<Reply> => {
    if (req.method !== 'POST') return json(405, { error: 'use POST to reload the config file' });
    if (!source.reload) return json(404, { error: 'this mosn was not started from a config file: nothing to reload' });
    try {
      const r = await source.reload();
      return r.ok
        ? json(200, { version: r.version, changes: r.changes.map(describeChange), failed: r.failed.map((f) => `${describeChange(f.change)}: ${f.error.message}`) })
        : json(400, { version: r.version, error: 'the config has errors; nothing changed', problems: r.problems });
    } catch (e) {
      log.error({ err: e }, 'reload failed');
      return json(500, { error: (e as Error).message });
    }
  };
}
