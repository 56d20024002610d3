// The benchmark's two models, described once as plain data, plus everything derived from that description:
// shapes, FLOPs, seeded weights (Keras layouts) and inputs. Every library builds its model from the same spec
// and loads the same weights, so their outputs can be compared before anything is timed.
// Runs unchanged in Node and in the browser (no imports).

/** Keras' MNIST convnet (examples/vision/mnist_convnet.py, without dropout). */
export const kerasConvnet = {
  id: 'keras-convnet',
  title: 'Keras MNIST convnet',
  input: [28, 28, 1],
  layers: [
    { type: 'conv2d', filters: 32, kernel: 3, padding: 'valid', activation: 'relu' },
    { type: 'maxPool', pool: 2 },
    { type: 'conv2d', filters: 64, kernel: 3, padding: 'valid', activation: 'relu' },
    { type: 'maxPool', pool: 2 },
    { type: 'flatten' },
    { type: 'dense', units: 10, activation: 'softmax' },
  ],
};

/** LeNet-5 as usually written for 28x28 MNIST (the first convolution pads to keep 28x28). */
export const lenet5 = {
  id: 'lenet5',
  title: 'LeNet-5',
  input: [28, 28, 1],
  layers: [
    { type: 'conv2d', filters: 6, kernel: 5, padding: 'same', activation: 'relu' },
    { type: 'maxPool', pool: 2 },
    { type: 'conv2d', filters: 16, kernel: 5, padding: 'valid', activation: 'relu' },
    { type: 'maxPool', pool: 2 },
    { type: 'flatten' },
    { type: 'dense', units: 120, activation: 'relu' },
    { type: 'dense', units: 84, activation: 'relu' },
    { type: 'dense', units: 10, activation: 'softmax' },
  ],
};

export const MODELS = [kerasConvnet, lenet5];

/** A spec above as a Sequential of `lib` (sn or tf: the same layers API). */
export function sequentialOf(lib, spec) {
  const L = lib.layers;
  const layers = spec.layers.map((l, i) => {
    const first = i === 0 ? { inputShape: spec.input } : {};
    if (l.type === 'conv2d') return L.conv2d({ filters: l.filters, kernelSize: l.kernel, padding: l.padding, activation: l.activation, ...first });
    if (l.type === 'maxPool') return L.maxPooling2d({ poolSize: l.pool, ...first });
    if (l.type === 'flatten') return L.flatten(first);
    if (l.type === 'dense') return L.dense({ units: l.units, activation: l.activation, ...first });
    throw new Error(`bench: unknown layer ${l.type} in ${spec.id}`);
  });
  return lib.sequential({ layers });
}

export const BATCH = 64;
export const LEARNING_RATE = 0.01;
export const SEED = 20240611;

/** Same-padding amounts by TensorFlow's rule (the extra pixel goes bottom/right). */
export function samePads(inSize, k, stride = 1) {
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + k - inSize, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/**
 * Walks the spec: each layer gets its input/output shape (HWC or [units]), its weight shapes (Keras layouts:
 * conv kernel [kh, kw, c, f], dense kernel [in, units]) and its forward FLOPs per image (a multiply-add is 2).
 * Pooling, activations and softmax are not counted: they are a rounding error next to conv and dense.
 */
export function describe(spec) {
  let shape = spec.input.slice();
  const layers = [];
  for (const l of spec.layers) {
    const inShape = shape;
    let weights = [];
    let flops = 0;
    if (l.type === 'conv2d') {
      const [h, w, c] = shape;
      const k = l.kernel;
      const [pt, pb] = l.padding === 'same' ? samePads(h, k) : [0, 0];
      const [pl, pr] = l.padding === 'same' ? samePads(w, k) : [0, 0];
      const oh = h + pt + pb - k + 1;
      const ow = w + pl + pr - k + 1;
      shape = [oh, ow, l.filters];
      weights = [[k, k, c, l.filters], [l.filters]];
      flops = 2 * oh * ow * k * k * c * l.filters;
      layers.push({ ...l, inShape, outShape: shape, weights, flops, pads: [pt, pb, pl, pr] });
      continue;
    } else if (l.type === 'maxPool') {
      const [h, w, c] = shape;
      shape = [Math.floor(h / l.pool), Math.floor(w / l.pool), c];
    } else if (l.type === 'flatten') {
      shape = [shape.reduce((a, b) => a * b, 1)];
    } else if (l.type === 'dense') {
      weights = [[shape[0], l.units], [l.units]];
      flops = 2 * shape[0] * l.units;
      shape = [l.units];
    } else {
      throw new Error(`bench: unknown layer type ${l.type}`);
    }
    layers.push({ ...l, inShape, outShape: shape, weights, flops });
  }
  const flops = layers.reduce((s, l) => s + l.flops, 0);
  const params = layers.flatMap((l) => l.weights).reduce((s, w) => s + w.reduce((a, b) => a * b, 1), 0);
  return { layers, outShape: shape, flops, params };
}

/** mulberry32: small, fast, and the same sequence in every engine. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Weights in Keras order and layouts: [{ shape, data: Float32Array }] — kernel then bias for each conv/dense.
 * Glorot-uniform kernels; small non-zero biases so that a library that drops a bias shows up in the check.
 */
export function makeWeights(spec, seed = SEED) {
  const next = rng(seed);
  const out = [];
  for (const l of describe(spec).layers) {
    if (!l.weights.length) continue;
    const [kShape, bShape] = l.weights;
    const fanIn = kShape.slice(0, -1).reduce((a, b) => a * b, 1);
    const fanOut = kShape.length === 4 ? kShape[0] * kShape[1] * kShape[3] : kShape[1];
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const kernel = new Float32Array(kShape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < kernel.length; i++) kernel[i] = (next() * 2 - 1) * limit;
    const bias = new Float32Array(bShape[0]);
    for (let i = 0; i < bias.length; i++) bias[i] = (next() * 2 - 1) * 0.05;
    out.push({ shape: kShape, data: kernel }, { shape: bShape, data: bias });
  }
  return out;
}

/** Images in [0, 1) (NHWC) and integer labels, from a seed. */
export function makeBatch(spec, n, seed = SEED + 1) {
  const next = rng(seed);
  const size = spec.input.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * size);
  for (let i = 0; i < x.length; i++) x[i] = next();
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = Math.floor(next() * 10);
  return { x, labels, n };
}

/** Float64 forward pass written plainly from the spec: the reference every library is compared with. */
export function referenceForward(spec, weights, x, n) {
  const desc = describe(spec);
  let w = 0;
  let cur = Float64Array.from(x);
  const perImage = spec.input.reduce((a, b) => a * b, 1);
  const outs = [];
  for (let img = 0; img < n; img++) {
    let a = cur.subarray(img * perImage, (img + 1) * perImage);
    for (const l of desc.layers) {
      if (l.type === 'conv2d') {
        const [h, wd, c] = l.inShape;
        const [oh, ow, f] = l.outShape;
        const [pt, , pl] = l.pads;
        const kernel = weights[w++].data;
        const bias = weights[w++].data;
        const k = l.kernel;
        const y = new Float64Array(oh * ow * f);
        for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let fo = 0; fo < f; fo++) {
          let s = bias[fo];
          for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) {
            const iy = oy + ky - pt, ix = ox + kx - pl;
            if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
            for (let ci = 0; ci < c; ci++) s += a[(iy * wd + ix) * c + ci] * kernel[((ky * k + kx) * c + ci) * f + fo];
          }
          y[(oy * ow + ox) * f + fo] = l.activation === 'relu' ? Math.max(0, s) : s;
        }
        a = y;
      } else if (l.type === 'maxPool') {
        const [, wd, c] = l.inShape;
        const [oh, ow] = l.outShape;
        const p = l.pool;
        const y = new Float64Array(oh * ow * c);
        for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let ci = 0; ci < c; ci++) {
          let m = -Infinity;
          for (let dy = 0; dy < p; dy++) for (let dx = 0; dx < p; dx++) m = Math.max(m, a[((oy * p + dy) * wd + ox * p + dx) * c + ci]);
          y[(oy * ow + ox) * c + ci] = m;
        }
        a = y;
      } else if (l.type === 'dense') {
        const kernel = weights[w++].data;
        const bias = weights[w++].data;
        const inU = l.inShape[0];
        const y = new Float64Array(l.units);
        for (let u = 0; u < l.units; u++) {
          let s = bias[u];
          for (let i = 0; i < inU; i++) s += a[i] * kernel[i * l.units + u];
          y[u] = s;
        }
        if (l.activation === 'relu') for (let u = 0; u < y.length; u++) y[u] = Math.max(0, y[u]);
        if (l.activation === 'softmax') {
          const m = Math.max(...y);
          let z = 0;
          for (let u = 0; u < y.length; u++) z += (y[u] = Math.exp(y[u] - m));
          for (let u = 0; u < y.length; u++) y[u] /= z;
        }
        a = y;
      }
    }
    outs.push(...a);
    w = 0;
  }
  return Float64Array.from(outs);
}

export function maxAbsDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

// ---- Graph models (simdnet only: the functional API, `sn.model`), for bench/graph.mjs ----
// Each builder takes the library (sn, or anything with TF.js's functional API) and returns { inputs, outputs }.

/** A small ResNet: conv 16 → two identity residual blocks (conv-BN-relu-conv-BN + shortcut) → GAP → dense 10. */
export function residualNet(lib) {
  const L = lib.layers;
  const x = lib.input({ shape: [32, 32, 3] });
  let h = L.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x);
  for (let b = 0; b < 2; b++) {
    let r = L.conv2d({ filters: 16, kernelSize: 3, padding: 'same', useBias: false }).apply(h);
    r = L.activation({ activation: 'relu' }).apply(L.batchNormalization().apply(r));
    r = L.batchNormalization().apply(L.conv2d({ filters: 16, kernelSize: 3, padding: 'same', useBias: false }).apply(r));
    h = L.activation({ activation: 'relu' }).apply(L.add().apply([r, h]));
  }
  const y = L.dense({ units: 10, activation: 'softmax' }).apply(L.globalAveragePooling2d().apply(h));
  return { inputs: x, outputs: y };
}

/** GoogLeNet's inception (3a) module on 28x28x192 (163,696 parameters), then GAP → dense 10. */
export function inception3a(lib) {
  const L = lib.layers;
  const x = lib.input({ shape: [28, 28, 192] });
  const conv = (f, k) => L.conv2d({ filters: f, kernelSize: k, padding: 'same', activation: 'relu' });
  const b1 = conv(64, 1).apply(x);
  const b2 = conv(128, 3).apply(conv(96, 1).apply(x));
  const b3 = conv(32, 5).apply(conv(16, 1).apply(x));
  const b4 = conv(32, 1).apply(L.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same' }).apply(x));
  const y = L.concatenate().apply([b1, b2, b3, b4]);
  return { inputs: x, outputs: L.dense({ units: 10, activation: 'softmax' }).apply(L.globalAveragePooling2d().apply(y)) };
}

export const GRAPH_MODELS = [
  { id: 'residual', title: 'ResNet-style (32x32x3, 2 residual blocks)', build: residualNet, input: [32, 32, 3], trainBatch: 32 },
  { id: 'inception3a', title: 'Inception (3a) module (28x28x192)', build: inception3a, input: [28, 28, 192], trainBatch: 8 },
];
