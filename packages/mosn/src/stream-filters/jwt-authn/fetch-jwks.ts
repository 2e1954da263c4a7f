import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';

/** The largest JWKS document accepted (a JWKS of a few keys is a few kilobytes). */
export const MAX_JWKS_BYTES = 1024 * 1024;

/**
 * GET `uri` (http or https) and give its body as text: a 200 answer within `timeoutMs`, at most `maxBytes`.
 * Rejects with a readable reason otherwise. Each fetch has its own connection (fetches are minutes apart).
 */
export function fetchJwksText(uri: string, timeoutMs: number, maxBytes = MAX_JWKS_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    const get = uri.startsWith('https:') ? httpsGet : httpGet;
    let settled = false;
    const finish = (error: string | undefined, text?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error === undefined) resolve(text!);
      else {
        req.destroy();
        reject(new Error(error));
      }
    };
    const req = get(uri, { agent: false, headers: { accept: 'application/json' } }, (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        res.resume();
        finish(`${uri} answered ${res.statusCode}`);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) finish(`${uri} sent more than ${maxBytes} bytes`);
        else chunks.push(chunk);
      });
      res.on('end', () => finish(undefined, Buffer.concat(chunks).toString('utf8')));
      res.on('error', (e) => finish(`${uri}: ${e.message}`));
      res.on('aborted', () => finish(`${uri}: the answer was cut off`));
    });
    req.on('error', (e) => finish(`${uri}: ${e.message}`));
    const timer = setTimeout(() => finish(`${uri} did not answer within ${timeoutMs} ms`), timeoutMs);
  });
}
