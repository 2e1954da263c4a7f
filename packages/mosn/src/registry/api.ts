import type { Logger } from '@mosn/proxy';
import { readDubboService, type DubboSubscription } from './config.js';
import { JsonPostApi, type JsonBody } from './json-post-api.js';

/** What the API drives (RegistrySource). */
export interface RegistryApiTarget {
  subscribe(sub: DubboSubscription): Promise<void>;
  unsubscribe(sub: DubboSubscription): Promise<void>;
  publish(pub: DubboSubscription): Promise<void>;
  unpublish(pub: DubboSubscription): Promise<void>;
}

/**
 * MOSN dubbod's HTTP API for the app beside mosn: `POST /sub`, `/unsub`, `/pub`, `/unpub` with JSON bodies,
 * answered `200 {"err_no": 0|1, "err_msg": "..."}` with MOSN's messages. Bound to `api_address` (127.0.0.1 by
 * default; MOSN listens on every interface).
 */
export class RegistryApi extends JsonPostApi {
  constructor(target: RegistryApiTarget, logger: Logger) {
    super({ name: 'registry api', describe: 'POST /sub, /unsub, /pub, /unpub', paths: new Set(Object.keys(OPS)), answer: (path, body) => answer(target, logger, path, body) }, logger);
  }
}

async function answer(target: RegistryApiTarget, log: Logger, path: string, body: JsonBody): Promise<{ err_no: 0 | 1; err_msg: string }> {
  const op = OPS[path as keyof typeof OPS];
  const reply = (errNo: 0 | 1, msg: string) => ({ err_no: errNo, err_msg: msg });
  if ('error' in body) return reply(1, `${op.failPrefix}${body.error}`);
  const sub = body.reader ? readDubboService(body.reader, op.kind) : undefined;
  if (!sub) return reply(1, `${op.failPrefix}${body.problems.errors.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  try {
    await target[op.method](sub);
  } catch (e) {
    log.warn({ err: e, op: path, interface: sub.interface }, `registry api: ${path} failed`);
    return reply(1, `${op.doFailPrefix}${(e as Error).message}`);
  }
  log.info({ op: path, interface: sub.interface, version: sub.version, group: sub.group, registry: sub.registry.addr }, `registry api: ${op.success}`);
  return reply(0, op.success);
}

/** MOSN's messages: sub/unsub prefix every failure; pub/unpub answer a bad body with the bare reason. */
const OPS = {
  '/sub': { method: 'subscribe', kind: 'sub', success: 'subscribe success', failPrefix: 'subscribe fail, err: ', doFailPrefix: 'subscribe fail, err: ' },
  '/unsub': { method: 'unsubscribe', kind: 'sub', success: 'unsubscribe success', failPrefix: 'unsubscribe fail, err: ', doFailPrefix: 'unsubscribe fail, err: ' },
  '/pub': { method: 'publish', kind: 'pub', success: 'publish success', failPrefix: '', doFailPrefix: 'publish fail, err: ' },
  '/unpub': { method: 'unpublish', kind: 'pub', success: 'unpub success', failPrefix: '', doFailPrefix: 'unpub fail, err: ' },
} as const;
