import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ADMIN_PAGE_FILE, adminPage, loadPage } from './page.js';

const html = readFileSync(ADMIN_PAGE_FILE, 'utf8');
const sha = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
const get = (method = 'GET') => adminPage({ method, query: new URLSearchParams(), body: async () => '' });

describe('the admin page', () => {
  it('is one file that loads nothing from elsewhere: no src, no stylesheet link, no URL but the SVG namespace', () => {
    expect(html).not.toMatch(/\ssrc=/i);
    expect(html).not.toMatch(/<link[^>]+stylesheet/i);
    expect(html.match(/<link[^>]*>/g)).toEqual(['<link rel="icon" href="data:,">']);
    expect(html.match(/https?:\/\/[^\s'"`)]+/g)).toEqual(['http://www.w3.org/2000/svg']);
    expect(html).toContain("new EventSource('api/v1/live')");
  });

  it('its CSP allows its inline style and script by their hashes, connections to the admin API only, nothing else', () => {
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
    const csp = loadPage(html).headers['content-security-policy']!;
    expect(csp.split('; ')).toEqual([
      "default-src 'none'",
      `style-src ${sha(style)}`,
      `script-src ${sha(script)}`,
      "connect-src 'self'",
      "img-src 'self' data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ]);
    // a changed block gets another hash (the browser would refuse a stale one)
    expect(loadPage(html.replace('<script>', '<script>\n')).headers['content-security-policy']).not.toBe(csp);
  });

  it('GET and HEAD: the file as HTML with that CSP; other methods 405', () => {
    const r = get();
    expect(r).toMatchObject({ status: 200, body: html, contentType: 'text/html; charset=utf-8' });
    expect(r.headers).toMatchObject({ 'content-security-policy': loadPage(html).headers['content-security-policy'], 'cache-control': 'no-store' });
    expect(get('HEAD').status).toBe(200);
    expect(get('POST').status).toBe(405);
  });
});
