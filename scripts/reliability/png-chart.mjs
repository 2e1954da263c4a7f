// Line charts written as a PNG with nothing but node:zlib: an RGB canvas, lines, a 5x7 bitmap font for the axes'
// numbers and the labels, and the PNG container (signature, IHDR, one IDAT of deflated scanlines, IEND, CRC-32).
import { deflateSync } from 'node:zlib';

// ---------------------------------------------------------------------------------------------------------
// PNG

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** The PNG of an RGB canvas (8 bits a channel, no interlace, filter 0 on every line). */
export function encodePng(canvas) {
  const { width, height, pixels } = canvas;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) pixels.copy(raw, y * (width * 3 + 1) + 1, y * width * 3, (y + 1) * width * 3);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

// ---------------------------------------------------------------------------------------------------------
// Canvas

export function canvas(width, height, background = [255, 255, 255]) {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) pixels.set(background, i * 3);
  return { width, height, pixels };
}

function plot(c, x, y, rgb) {
  x = Math.round(x);
  y = Math.round(y);
  if (x < 0 || y < 0 || x >= c.width || y >= c.height) return;
  c.pixels.set(rgb, (y * c.width + x) * 3);
}

/** A line `thickness` pixels wide (Bresenham, thickened by a square brush). */
export function line(c, x0, y0, x1, y1, rgb, thickness = 1) {
  x0 = Math.round(x0);
  y0 = Math.round(y0);
  x1 = Math.round(x1);
  y1 = Math.round(y1);
  const dx = Math.abs(x1 - x0);
  const dy = -Math.abs(y1 - y0);
  const sx = x0 < x1 ? 1 : -1;
  const sy = y0 < y1 ? 1 : -1;
  let err = dx + dy;
  const r = Math.floor((thickness - 1) / 2);
  for (;;) {
    for (let i = -r; i <= r + ((thickness - 1) % 2); i++) for (let j = -r; j <= r + ((thickness - 1) % 2); j++) plot(c, x0 + i, y0 + j, rgb);
    if (x0 === x1 && y0 === y1) break;
    const e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x0 += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y0 += sy;
    }
  }
}

/** A dashed vertical line. */
function vdash(c, x, y0, y1, rgb) {
  for (let y = y0; y <= y1; y++) if (Math.floor(y / 3) % 2 === 0) plot(c, x, y, rgb);
}

// ---------------------------------------------------------------------------------------------------------
// A 5x7 font: each glyph is 7 rows of 5 bits (the high bit on the left)

const GLYPHS = {
  0: [14, 17, 19, 21, 25, 17, 14], 1: [4, 12, 4, 4, 4, 4, 14], 2: [14, 17, 1, 2, 4, 8, 31], 3: [31, 2, 4, 2, 1, 17, 14],
  4: [2, 6, 10, 18, 31, 2, 2], 5: [31, 16, 30, 1, 1, 17, 14], 6: [6, 8, 16, 30, 17, 17, 14], 7: [31, 1, 2, 4, 8, 8, 8],
  8: [14, 17, 17, 14, 17, 17, 14], 9: [14, 17, 17, 15, 1, 2, 12], '.': [0, 0, 0, 0, 0, 12, 12], '-': [0, 0, 0, 14, 0, 0, 0],
  ':': [0, 12, 12, 0, 12, 12, 0], '/': [1, 1, 2, 4, 8, 16, 16], ' ': [0, 0, 0, 0, 0, 0, 0], '(': [2, 4, 8, 8, 8, 4, 2],
  ')': [8, 4, 2, 2, 2, 4, 8], ',': [0, 0, 0, 0, 12, 4, 8], '+': [0, 4, 4, 31, 4, 4, 0], '=': [0, 0, 31, 0, 31, 0, 0],
  '%': [24, 25, 2, 4, 8, 19, 3], A: [14, 17, 17, 31, 17, 17, 17], B: [30, 17, 17, 30, 17, 17, 30], C: [14, 17, 16, 16, 16, 17, 14],
  D: [28, 18, 17, 17, 17, 18, 28], E: [31, 16, 16, 30, 16, 16, 31], F: [31, 16, 16, 30, 16, 16, 16], G: [14, 17, 16, 23, 17, 17, 15],
  H: [17, 17, 17, 31, 17, 17, 17], I: [14, 4, 4, 4, 4, 4, 14], J: [7, 2, 2, 2, 2, 18, 12], K: [17, 18, 20, 24, 20, 18, 17],
  L: [16, 16, 16, 16, 16, 16, 31], M: [17, 27, 21, 21, 17, 17, 17], N: [17, 17, 25, 21, 19, 17, 17], O: [14, 17, 17, 17, 17, 17, 14],
  P: [30, 17, 17, 30, 16, 16, 16], Q: [14, 17, 17, 17, 21, 18, 13], R: [30, 17, 17, 30, 20, 18, 17], S: [15, 16, 16, 14, 1, 1, 30],
  T: [31, 4, 4, 4, 4, 4, 4], U: [17, 17, 17, 17, 17, 17, 14], V: [17, 17, 17, 17, 17, 10, 4], W: [17, 17, 17, 21, 21, 21, 10],
  X: [17, 17, 10, 4, 10, 17, 17], Y: [17, 17, 10, 4, 4, 4, 4], Z: [31, 1, 2, 4, 8, 16, 31],
};

/** `text` (upper-cased; unknown characters as spaces) at x, y (top left), each pixel of the font `scale` pixels. */
export function text(c, x, y, str, rgb, scale = 1) {
  let cx = x;
  for (const ch of String(str).toUpperCase()) {
    const g = GLYPHS[ch] ?? GLYPHS[' '];
    for (let row = 0; row < 7; row++) {
      for (let col = 0; col < 5; col++) {
        if ((g[row] >> (4 - col)) & 1) for (let i = 0; i < scale; i++) for (let j = 0; j < scale; j++) plot(c, cx + col * scale + i, y + row * scale + j, rgb);
      }
    }
    cx += 6 * scale;
  }
  return cx - x;
}

// ---------------------------------------------------------------------------------------------------------
// The chart

/** Round steps for an axis: 1, 2 or 5 times a power of ten, about `ticks` of them over `span`. */
function niceStep(span, ticks) {
  const raw = span / ticks;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
}

/** Canvases one above the other, as one PNG. */
export function stackedPng(canvases) {
  const width = Math.max(...canvases.map((c) => c.width));
  const out = canvas(width, canvases.reduce((n, c) => n + c.height, 0));
  let y = 0;
  for (const c of canvases) {
    for (let row = 0; row < c.height; row++) c.pixels.copy(out.pixels, ((y + row) * width) * 3, row * c.width * 3, (row + 1) * c.width * 3);
    y += c.height;
  }
  return encodePng(out);
}

/**
 * A chart (a canvas) of `series` (`{label, color, points: [{x, y}]}`) against x (minutes): axes with round ticks from
 * 0, a legend, `title`, and dashed vertical markers (`markers`: `{x, color}`) with their legend (`markerLegend`).
 */
export function lineChart({ width = 960, height = 480, title, xLabel, yLabel, series, markers = [], markerLegend = [] }) {
  const c = canvas(width, height);
  const black = [0, 0, 0];
  const grey = [225, 225, 225];
  const left = 70;
  const right = width - 20;
  const top = 50;
  const bottom = height - 60;
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  const xMax = Math.max(1e-9, ...xs);
  const yStep = niceStep(Math.max(1, ...ys), 6);
  const yMax = Math.ceil(Math.max(1, ...ys) / yStep) * yStep;
  const xStep = niceStep(xMax, 10);
  const X = (x) => left + (x / xMax) * (right - left);
  const Y = (y) => bottom - (y / yMax) * (bottom - top);
  // grid and ticks
  for (let y = 0; y <= yMax + 1e-9; y += yStep) {
    line(c, left, Y(y), right, Y(y), grey);
    const label = Number.isInteger(yStep) ? String(y) : y.toFixed(1);
    text(c, left - 8 - label.length * 6, Y(y) - 3, label, black);
  }
  for (let x = 0; x <= xMax + 1e-9; x += xStep) {
    line(c, X(x), top, X(x), bottom, grey);
    const label = Number.isInteger(xStep) ? String(x) : x.toFixed(1);
    text(c, X(x) - label.length * 3, bottom + 8, label, black);
  }
  for (const m of markers) vdash(c, Math.round(X(m.x)), top, bottom, m.color);
  line(c, left, top, left, bottom, black);
  line(c, left, bottom, right, bottom, black);
  // series
  for (const s of series) {
    for (let i = 1; i < s.points.length; i++) line(c, X(s.points[i - 1].x), Y(s.points[i - 1].y), X(s.points[i].x), Y(s.points[i].y), s.color, 2);
  }
  // labels
  text(c, left, 14, title, black, 2);
  text(c, (left + right) / 2 - xLabel.length * 3, bottom + 24, xLabel, black);
  text(c, 6, top - 16, yLabel, black);
  let lx = left;
  const ly = height - 18;
  for (const s of [...series, ...markerLegend]) {
    line(c, lx, ly + 3, lx + 18, ly + 3, s.color, s.dashed ? 1 : 2);
    lx += 24 + text(c, lx + 24, ly, s.label, black) + 18;
  }
  return c;
}
