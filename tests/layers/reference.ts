// Plain float64 reference of a Sequential model, written from the math (not from the kernels): forward
// for every layer type, the four losses, and gradients by central differences of the whole loss.
import type * as sn from '../../src/index.js';

export interface Arr {
  data: Float64Array;
  shape: number[];
}

const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);
export const arr = (shape: number[], data?: ArrayLike<number>): Arr => ({ shape, data: data ? Float64Array.from(data) : new Float64Array(size(shape)) });

/** A small deterministic generator for test data (independent of the library's PRNG). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

export function randomArr(shape: number[], r: () => number, scale = 1): Arr {
  const a = arr(shape);
  for (let i = 0; i < a.data.length; i++) a.data[i] = (r() * 2 - 1) * scale;
  return a;
}

/** TF 'same'/'valid' window geometry along one axis. */
function axis(len: number, k: number, s: number, pad: string, d = 1): { out: number; before: number } {
  const span = (k - 1) * d + 1;
  if (pad === 'same') {
    const out = Math.ceil(len / s);
    const total = Math.max(0, (out - 1) * s + span - len);
    return { out, before: Math.floor(total / 2) };
  }
  return { out: Math.floor((len - span) / s) + 1, before: 0 };
}

function act(v: number, a: string, alpha = 0): number {
  switch (a) {
    case 'linear':
      return v;
    case 'relu':
      return Math.max(0, v);
    case 'relu6':
      return Math.min(6, Math.max(0, v));
    case 'leaky':
      return v > 0 ? v : alpha * v;
    case 'elu':
      return v > 0 ? v : Math.exp(v) - 1;
    case 'sigmoid':
      return 1 / (1 + Math.exp(-v));
    case 'tanh':
      return Math.tanh(v);
    case 'hardSigmoid':
      return Math.min(1, Math.max(0, 0.2 * v + 0.5));
    case 'hardSwish':
      return (v * Math.min(6, Math.max(0, v + 3))) / 6;
  }
  throw new Error(`reference: activation ${a}`);
}

function applyAct(x: Arr, a: string, alpha = 0): Arr {
  if (a === 'softmax') {
    const c = x.shape[x.shape.length - 1];
    const y = arr(x.shape);
    for (let r = 0; r < x.data.length / c; r++) {
      let m = -Infinity;
      for (let j = 0; j < c; j++) m = Math.max(m, x.data[r * c + j]);
      let s = 0;
      for (let j = 0; j < c; j++) s += Math.exp(x.data[r * c + j] - m);
      for (let j = 0; j < c; j++) y.data[r * c + j] = Math.exp(x.data[r * c + j] - m) / s;
    }
    return y;
  }
  return { shape: x.shape, data: x.data.map((v) => act(v, a, alpha)) };
}

/** x (N,H,W,C), w (KH,KW,C,F). */
function conv2d(x: Arr, w: Arr, b: Arr | null, strides: number[], pad: string, dil: number[]): Arr {
  const [n, h, wd, c] = x.shape;
  const [kh, kw, , f] = w.shape;
  const ah = axis(h, kh, strides[0], pad, dil[0]);
  const aw = axis(wd, kw, strides[1], pad, dil[1]);
  const y = arr([n, ah.out, aw.out, f]);
  for (let i = 0; i < n; i++)
    for (let oy = 0; oy < ah.out; oy++)
      for (let ox = 0; ox < aw.out; ox++)
        for (let o = 0; o < f; o++) {
          let s = b ? b.data[o] : 0;
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              const iy = oy * strides[0] + ky * dil[0] - ah.before;
              const ix = ox * strides[1] + kx * dil[1] - aw.before;
              if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
              for (let ci = 0; ci < c; ci++) s += x.data[((i * h + iy) * wd + ix) * c + ci] * w.data[((ky * kw + kx) * c + ci) * f + o];
            }
          y.data[((i * ah.out + oy) * aw.out + ox) * f + o] = s;
        }
  return y;
}

/** x (N,H,W,C); max or mean over the cells of each window that are inside the image. */
function pool2d(x: Arr, k: number[], s: number[], pad: string, kind: 'max' | 'avg'): Arr {
  const [n, h, w, c] = x.shape;
  const ah = axis(h, k[0], s[0], pad);
  const aw = axis(w, k[1], s[1], pad);
  const y = arr([n, ah.out, aw.out, c]);
  for (let i = 0; i < n; i++)
    for (let oy = 0; oy < ah.out; oy++)
      for (let ox = 0; ox < aw.out; ox++)
        for (let ci = 0; ci < c; ci++) {
          let m = -Infinity;
          let sum = 0;
          let cnt = 0;
          for (let ky = 0; ky < k[0]; ky++)
            for (let kx = 0; kx < k[1]; kx++) {
              const iy = oy * s[0] + ky - ah.before;
              const ix = ox * s[1] + kx - aw.before;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              const v = x.data[((i * h + iy) * w + ix) * c + ci];
              m = Math.max(m, v);
              sum += v;
              cnt++;
            }
          y.data[((i * ah.out + oy) * aw.out + ox) * c + ci] = kind === 'max' ? m : sum / cnt;
        }
  return y;
}

function dense(x: Arr, w: Arr, b: Arr | null): Arr {
  const [inU, units] = w.shape;
  const rows = x.data.length / inU;
  const y = arr([...x.shape.slice(0, -1), units]);
  for (let r = 0; r < rows; r++)
    for (let u = 0; u < units; u++) {
      let s = b ? b.data[u] : 0;
      for (let k = 0; k < inU; k++) s += x.data[r * inU + k] * w.data[k * units + u];
      y.data[r * units + u] = s;
    }
  return y;
}

const reshape = (x: Arr, shape: number[]): Arr => ({ data: x.data, shape });

export interface RefState {
  /** Per layer, its params in layer.params order. */
  params: Arr[][];
  /** Dropout masks by layer index (values 0 or 1/(1-rate)), for training forward. */
  masks?: Map<number, Float64Array>;
  /** Batch-norm batch statistics seen in the last training forward, by layer index. */
  bnStats?: Map<number, { mean: Float64Array; variance: Float64Array }>;
}

/** The model's output for x. With `logits`, the last layer's softmax is skipped. */
export function refForward(layers: sn.Layer[], st: RefState, x: Arr, training: boolean, logits = false): Arr {
  let h = x;
  layers.forEach((layer, li) => {
    const L = layer as unknown as Record<string, unknown>;
    const p = st.params[li];
    const last = li === layers.length - 1;
    const finalAct = (a: string): string => (last && logits && a === 'softmax' ? 'linear' : a);
    const n = h.shape[0];
    switch (layer.className) {
      case 'Conv2D':
        h = applyAct(conv2d(h, p[0], L.useBias ? p[1] : null, L.strides as number[], L.padding as string, L.dilationRate as number[]), finalAct(L.activation as string));
        break;
      case 'Conv1D': {
        const x4 = reshape(h, [n, 1, h.shape[1], h.shape[2]]);
        const w4 = reshape(p[0], [1, ...p[0].shape]);
        const y = conv2d(x4, w4, L.useBias ? p[1] : null, [1, ...(L.strides as number[])], L.padding as string, [1, ...(L.dilationRate as number[])]);
        h = applyAct(reshape(y, [n, y.shape[2], y.shape[3]]), finalAct(L.activation as string));
        break;
      }
      case 'Dense':
        h = applyAct(dense(h, p[0], L.useBias ? p[1] : null), finalAct(L.activation as string));
        break;
      case 'MaxPooling2D':
      case 'AveragePooling2D':
        h = pool2d(h, L.poolSize as number[], L.strides as number[], L.padding as string, layer.className.startsWith('Max') ? 'max' : 'avg');
        break;
      case 'MaxPooling1D':
      case 'AveragePooling1D': {
        const y = pool2d(reshape(h, [n, 1, h.shape[1], h.shape[2]]), L.poolSize as number[], L.strides as number[], L.padding as string, layer.className.startsWith('Max') ? 'max' : 'avg');
        h = reshape(y, [n, y.shape[2], y.shape[3]]);
        break;
      }
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D': {
        const [, hh, ww, c] = h.shape;
        h = pool2d(h, [hh, ww], [hh, ww], 'valid', layer.className.includes('Max') ? 'max' : 'avg');
        h = reshape(h, [n, c]);
        break;
      }
      case 'Flatten':
        h = reshape(h, [n, h.data.length / n]);
        break;
      case 'Dropout': {
        const mask = training ? st.masks?.get(li) : undefined;
        if (training && (L.rate as number) > 0 && !mask) throw new Error('reference: dropout mask missing');
        if (mask) h = { shape: h.shape, data: h.data.map((v, i) => v * mask[i]) };
        break;
      }
      case 'Activation':
        h = applyAct(h, finalAct(L.activation as string));
        break;
      case 'LeakyReLU':
        h = applyAct(h, 'leaky', L.alpha as number);
        break;
      case 'Maxout': {
        const k = L.groupSize as number;
        const c = h.shape[h.shape.length - 1];
        const y = arr([...h.shape.slice(0, -1), c / k]);
        for (let i = 0; i < y.data.length; i++) {
          const base = Math.floor(i / (c / k)) * c + (i % (c / k)) * k;
          let m = -Infinity;
          for (let j = 0; j < k; j++) m = Math.max(m, h.data[base + j]);
          y.data[i] = m;
        }
        h = y;
        break;
      }
      case 'BatchNormalization': {
        const [gamma, beta, mm, mv] = p;
        const c = gamma.data.length;
        const rows = h.data.length / c;
        const mean = new Float64Array(c);
        const variance = new Float64Array(c);
        if (training) {
          for (let r = 0; r < rows; r++) for (let j = 0; j < c; j++) mean[j] += h.data[r * c + j] / rows;
          for (let r = 0; r < rows; r++) for (let j = 0; j < c; j++) variance[j] += (h.data[r * c + j] - mean[j]) ** 2 / rows;
          st.bnStats?.set(li, { mean, variance });
        } else {
          mean.set(mm.data);
          variance.set(mv.data);
        }
        const eps = L.epsilon as number;
        h = { shape: h.shape, data: h.data.map((v, i) => gamma.data[i % c] * ((v - mean[i % c]) / Math.sqrt(variance[i % c] + eps)) + beta.data[i % c]) };
        break;
      }
      default:
        throw new Error(`reference: no layer ${layer.className}`);
    }
  });
  return h;
}

const EPS = 1e-7;
const clip = (q: number): number => Math.min(Math.max(q, EPS), 1 - EPS);

/** Mean loss as TF.js defines it; pred holds logits when `fromLogits`. */
export function refLoss(loss: string, pred: Arr, labels: Arr, fromLogits: boolean): number {
  const c = pred.shape[pred.shape.length - 1];
  const rows = pred.data.length / c;
  const p = fromLogits ? applyAct(pred, 'softmax') : pred;
  let total = 0;
  switch (loss) {
    case 'sparseCategoricalCrossentropy':
    case 'categoricalCrossentropy':
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let j = 0; j < c; j++) s += p.data[r * c + j];
        for (let j = 0; j < c; j++) {
          const t = loss === 'categoricalCrossentropy' ? labels.data[r * c + j] : labels.data[r] === j ? 1 : 0;
          if (t) total -= t * Math.log(fromLogits ? p.data[r * c + j] : clip(p.data[r * c + j] / s));
        }
      }
      return total / rows;
    case 'meanSquaredError':
      for (let i = 0; i < p.data.length; i++) total += (p.data[i] - labels.data[i]) ** 2;
      return total / p.data.length;
    case 'binaryCrossentropy':
      for (let i = 0; i < p.data.length; i++) {
        const y = clip(p.data[i]);
        const t = labels.data[i];
        total -= t * Math.log(y) + (1 - t) * Math.log(1 - y);
      }
      return total / p.data.length;
  }
  throw new Error(`reference: loss ${loss}`);
}

/** d(loss)/d(every param) by central differences of the float64 reference (training forward). */
export function refGradients(layers: sn.Layer[], st: RefState, x: Arr, labels: Arr, loss: string, fused: boolean, h = 1e-6): Arr[][] {
  const f = (): number => refLoss(loss, refForward(layers, st, x, true, fused), labels, fused);
  return st.params.map((ps) =>
    ps.map((p) => {
      const g = arr(p.shape);
      for (let i = 0; i < p.data.length; i++) {
        const keep = p.data[i];
        p.data[i] = keep + h;
        const up = f();
        p.data[i] = keep - h;
        const down = f();
        p.data[i] = keep;
        g.data[i] = (up - down) / (2 * h);
      }
      return g;
    }),
  );
}

/** Largest |a - b| relative to the scale of b: max|a-b| / max(max|b|, floor). */
export function relMaxError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-6): number {
  let diff = 0;
  let scale = floor;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}
