// Small images of tensors: the 28x28 input, convolution filters and feature maps. Each image is a canvas
// with one canvas pixel per value, scaled up by CSS (image-rendering: pixelated) so it stays crisp.

// Colour ramps as [position, r, g, b] stops.
const INFERNO = [
  [0, 0, 0, 4], [0.25, 87, 16, 110], [0.5, 188, 55, 84], [0.75, 249, 142, 9], [1, 252, 255, 164],
];
const DIVERGING = [
  [0, 37, 99, 235], [0.5, 12, 14, 20], [1, 249, 115, 22],
];

function ramp(stops, t) {
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  for (let i = 1; i < stops.length; i++) {
    const [p1, r1, g1, b1] = stops[i];
    if (t <= p1) {
      const [p0, r0, g0, b0] = stops[i - 1];
      const f = (t - p0) / (p1 - p0);
      return [r0 + (r1 - r0) * f, g0 + (g1 - g0) * f, b0 + (b1 - b0) * f];
    }
  }
  const last = stops[stops.length - 1];
  return [last[1], last[2], last[3]];
}

function paint(canvas, width, height, colourAt) {
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    const [r, g, b] = colourAt(i);
    img.data[i * 4] = r;
    img.data[i * 4 + 1] = g;
    img.data[i * 4 + 2] = b;
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/** A grey image from values in [0, 1] (white ink on black, as the network receives it). */
export function drawGrey(canvas, values, width, height) {
  paint(canvas, width, height, (i) => {
    const v = Math.round(Math.min(1, Math.max(0, values[i])) * 255);
    return [v, v, v];
  });
}

/**
 * Feature maps from an NHWC activation of one image: map f is values[(y*W + x)*F + f].
 * Each map is scaled by the largest activation of the whole layer, so weak maps look weak.
 */
export function drawFeatureMaps(canvases, values, height, width, channels) {
  let max = 0;
  for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
  let min = 0;
  for (let i = 0; i < values.length; i++) if (values[i] < min) min = values[i];
  const span = max - min || 1;
  canvases.forEach((canvas, f) => {
    paint(canvas, width, height, (i) => ramp(INFERNO, (values[i * channels + f] - min) / span));
  });
}

/**
 * Convolution filters from a kernel laid out [kh, kw, inChannels, filters] (Keras): filter f's weight at
 * (y, x) summed over input channels. Signed colours: blue negative, orange positive, dark zero.
 */
export function drawFilters(canvases, kernel, kh, kw, inChannels, filters) {
  let maxAbs = 0;
  for (const v of kernel) maxAbs = Math.max(maxAbs, Math.abs(v));
  maxAbs ||= 1;
  canvases.forEach((canvas, f) => {
    paint(canvas, kw, kh, (i) => {
      let v = 0;
      for (let c = 0; c < inChannels; c++) v += kernel[(i * inChannels + c) * filters + f];
      return ramp(DIVERGING, 0.5 + (v / inChannels) / (2 * maxAbs));
    });
  });
}

/** Makes `count` canvases in `container` (reusing those already there) and returns them. */
export function canvasGrid(container, count, className = 'cell') {
  // Rows of 8 (or fewer): 8, 16, 32 and 64 maps all make full rectangles.
  container.style.setProperty('--cols', String(Math.min(count, 8)));
  for (const child of [...container.children]) if (child.tagName !== 'CANVAS') child.remove(); // e.g. a note
  while (container.children.length > count) container.lastChild.remove();
  while (container.children.length < count) {
    const c = document.createElement('canvas');
    c.className = className;
    container.append(c);
  }
  return [...container.children];
}
