import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { METHOD_NOT_ALLOWED } from '../reply.js';
import type { AdminRequest, Reply } from '../types.js';

/** The live admin page's path on the admin API (MOSN answers its help on `/` and on every path it does not know). */
export const ADMIN_PAGE_PATH = '/admin';

/** The page: one self-contained HTML file (inline CSS and script, no external resource), shipped with the package. */
export const ADMIN_PAGE_FILE = new URL('../../../assets/admin-page.html', import.meta.url);

interface Page {
  readonly html: string;
  readonly headers: Readonly<Record<string, string>>;
}

let page: Page | undefined;

/**
 * `GET /admin`: the live page (it reads `/api/v1/live`). The file is read on the first request and kept. Its
 * Content-Security-Policy allows only its own inline style and script (by their hashes) and connections to the admin
 * API itself: nothing else loads, and text injected into the page (a listener's name, say) cannot run as script.
 */
export function adminPage(req: AdminRequest): Reply {
  if (req.method !== 'GET' && req.method !== 'HEAD') return METHOD_NOT_ALLOWED;
  page ??= loadPage(readFileSync(ADMIN_PAGE_FILE, 'utf8'));
  return { status: 200, body: page.html, contentType: 'text/html; charset=utf-8', headers: page.headers };
}

/** The page's HTML and the headers it is served with (the CSP hashes of its inline `<style>` and `<script>` blocks). */
export function loadPage(html: string): Page {
  const hashes = (tag: string) =>
    [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`).join(' ');
  const csp = [
    "default-src 'none'",
    `style-src ${hashes('style')}`,
    `script-src ${hashes('script')}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    html,
    headers: { 'content-security-policy': csp, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' },
  };
}
