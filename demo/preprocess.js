// Turns a drawing into the 28x28 input the network expects, the way MNIST itself was made (LeCun et al.):
// crop to the ink's bounding box, scale it to fit a 20x20 box keeping its aspect ratio (area averaging
// gives the anti-aliased grey levels), then place it in a 28x28 field so that its centre of mass sits at
// the centre. Without these steps a digit drawn small or off-centre is misread, because the network only
// ever saw centred, size-normalised digits. Pure functions over arrays: runs in a page, a worker or Node.

export const MNIST_SIZE = 28;
export const MNIST_BOX = 20;

/**
 * ink: one value per pixel, row-major `width * height`, 0 = no ink, `maxValue` = full ink
 * (for example the alpha channel of a canvas, maxValue 255).
 * Returns a Float32Array of 28*28 values in [0, 1] (white digit on black, like MNIST), or null when
 * there is no ink at all.
 */
export function preprocessDigit(ink, width, height, { maxValue = 255, threshold = 0.1, box = MNIST_BOX, size = MNIST_SIZE } = {}) {
  if (ink.length !== width * height) {
    throw new Error(`preprocessDigit: ink has ${ink.length} values but ${width}x${height} needs ${width * height}`);
  }
  const bounds = inkBounds(ink, width, height, threshold * maxValue);
  if (!bounds) return null;
  const { x0, y0, x1, y1 } = bounds;
  const w = x1 - x0;
  const h = y1 - y0;

  // The longer side becomes `box` pixels; the shorter keeps the aspect ratio (at least one pixel).
  const scale = box / Math.max(w, h);
  const outW = Math.max(1, Math.min(box, Math.round(w * scale)));
  const outH = Math.max(1, Math.min(box, Math.round(h * scale)));
  const crop = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) crop[y * w + x] = Math.min(1, ink[(y0 + y) * width + x0 + x] / maxValue);
  }
  const small = resampleArea(crop, w, h, outW, outH);

  // Centre of mass of the scaled digit in pixel-index coordinates: MNIST put it at index 14 of 0..27
  // (measured on the test set, the mean centre of mass sits at 14.5 in pixel-centre terms).
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const v = small[y * outW + x];
      mass += v;
      mx += v * x;
      my += v * y;
    }
  }
  const cx = mass > 0 ? mx / mass : (outW - 1) / 2;
  const cy = mass > 0 ? my / mass : (outH - 1) / 2;
  // Shift so the centre of mass lands on the field's centre, but never push ink off the field.
  const left = clamp(Math.round(size / 2 - cx), 0, size - outW);
  const top = clamp(Math.round(size / 2 - cy), 0, size - outH);

  const out = new Float32Array(size * size);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) out[(top + y) * size + left + x] = small[y * outW + x];
  }
  return out;
}

/** The smallest box holding every pixel above `cutoff`: x0,y0 inclusive, x1,y1 exclusive; null if none. */
export function inkBounds(ink, width, height, cutoff) {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (ink[row + x] > cutoff) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return null;
  return { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

/**
 * Resizes an image by area averaging: each output pixel is the mean of the source area it covers,
 * partial source pixels weighted by their covered fraction. Separable: rows first, then columns.
 */
export function resampleArea(src, srcW, srcH, dstW, dstH) {
  const wx = areaWeights(srcW, dstW);
  const wy = areaWeights(srcH, dstH);
  const rows = new Float32Array(srcH * dstW);
  for (let y = 0; y < srcH; y++) {
    for (let x = 0; x < dstW; x++) {
      let acc = 0;
      for (const [i, wgt] of wx[x]) acc += src[y * srcW + i] * wgt;
      rows[y * dstW + x] = acc;
    }
  }
  const dst = new Float32Array(dstW * dstH);
  for (let y = 0; y < dstH; y++) {
    for (const [j, wgt] of wy[y]) {
      for (let x = 0; x < dstW; x++) dst[y * dstW + x] += rows[j * dstW + x] * wgt;
    }
  }
  return dst;
}

/** For each of n output cells over m source cells: [sourceIndex, weight] pairs whose weights sum to 1. */
function areaWeights(m, n) {
  const span = m / n;
  const cells = [];
  for (let o = 0; o < n; o++) {
    const start = o * span;
    const end = start + span;
    const pairs = [];
    for (let i = Math.floor(start); i < Math.min(m, Math.ceil(end)); i++) {
      const cover = Math.min(end, i + 1) - Math.max(start, i);
      if (cover > 1e-9) pairs.push([i, cover / span]);
    }
    cells.push(pairs);
  }
  return cells;
}

function clamp(v, lo, hi) {
  return v < lo ? lo : v > hi ? hi : v;
}
