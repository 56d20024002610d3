// toOnnx: a simdnet model (Sequential or functional) → the bytes of an ONNX model file, opset 13.
//
// The ONNX model takes and returns what the simdnet model does (NHWC images for simdnet's own models).
// Inside, image operators run in ONNX's NCHW: each image tensor gets a Transpose the first time an
// operator needs the other layout, and only then, so a chain of convs transposes once at each end, and
// a model loaded by loadOnnx (its permute layers at the boundary) exports with no transposes at all.
import type { Layer, Model, SymbolicTensor } from '../index.js';
import { describeValue } from '../describe.js';
import { AttrType, DataType, encodeModel } from './schema.js';

export const EXPORT_OPSET = 13;

type Attr = Record<string, unknown>;
const intA = (name: string, i: number): Attr => ({ name, type: AttrType.INT, i });
const intsA = (name: string, ints: number[]): Attr => ({ name, type: AttrType.INTS, ints });
const floatA = (name: string, f: number): Attr => ({ name, type: AttrType.FLOAT, f });
const strA = (name: string, v: string): Attr => ({ name, type: AttrType.STRING, s: new TextEncoder().encode(v) });

/** TensorFlow's 'same' padding of one axis: [before, after]. */
function samePads(len: number, size: number, stride: number, dilation: number): [number, number] {
  const span = (size - 1) * dilation + 1;
  const out = Math.ceil(len / stride);
  const total = Math.max((out - 1) * stride + span - len, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** The ONNX graph being written, with each simdnet tensor's ONNX names in either layout. */
class Writer {
  readonly nodes: Attr[] = [];
  readonly initializers: Attr[] = [];
  /** Per symbolic tensor id: its ONNX value as simdnet holds it ('asis') and, for images, in NCHW. */
  readonly names = new Map<number, { asis?: string; nchw?: string }>();
  private count = 0;

  fresh(base: string): string {
    return `${base}_${this.count++}`;
  }

  node(opType: string, inputs: string[], attribute: Attr[] = [], base = opType): string {
    const out = this.fresh(base);
    this.nodes.push({ opType, input: inputs, output: [out], name: out, attribute });
    return out;
  }

  floats(base: string, dims: number[], data: ArrayLike<number>): string {
    const name = this.fresh(base);
    this.initializers.push({ name, dims, dataType: DataType.FLOAT, floatData: Array.from(data) });
    return name;
  }

  ints(base: string, data: number[]): string {
    const name = this.fresh(base);
    this.initializers.push({ name, dims: [data.length], dataType: DataType.INT64, int64Data: data });
    return name;
  }

  /**
   * The ONNX name of a tensor in the layout asked, adding a Transpose when it has only the other one.
   * 'nchw' is channels-first for any rank with spatial axes (N,C,L for sequences, N,C,D,H,W for volumes).
   */
  get(t: SymbolicTensor, form: 'asis' | 'nchw'): string {
    const e = this.names.get(t.id);
    if (!e) throw new Error(`simdnet: toOnnx: tensor ${t.name} is used before it is computed`);
    const r = t.sampleShape.length;
    if (form === 'asis' || r < 2) {
      e.asis ??= this.node('Transpose', [e.nchw!], [intsA('perm', [0, ...Array.from({ length: r }, (_, i) => i + 2).slice(0, r - 1), 1])], 'to_nhwc');
      return e.asis;
    }
    e.nchw ??= this.node('Transpose', [e.asis!], [intsA('perm', [0, r, ...Array.from({ length: r - 1 }, (_, i) => i + 1)])], 'to_nchw');
    return e.nchw;
  }

  /** Whichever layout the tensor already has (for elementwise operators). */
  any(t: SymbolicTensor): { name: string; form: 'asis' | 'nchw' } {
    const e = this.names.get(t.id)!;
    return e.nchw ? { name: e.nchw, form: 'nchw' } : { name: this.get(t, 'asis'), form: 'asis' };
  }

  set(t: SymbolicTensor, name: string, form: 'asis' | 'nchw'): void {
    this.names.set(t.id, t.sampleShape.length >= 2 ? { [form]: name } : { asis: name });
  }
}

function paramOf(layer: Layer, name: string): Float32Array {
  const p = layer.orderedParams().find((q) => q.name === name);
  if (!p) throw new Error(`simdnet: toOnnx: ${layer.name} has no parameter ${name}`);
  return p.value.dataSync();
}

/** Applies a layer's fused activation to an ONNX value (in either layout: all are elementwise but softmax). */
function activation(w: Writer, x: string, form: 'asis' | 'nchw', act: string, who: string, rank: number): string {
  switch (act) {
    case 'linear':
      return x;
    case 'relu':
      return w.node('Relu', [x]);
    case 'sigmoid':
      return w.node('Sigmoid', [x]);
    case 'tanh':
      return w.node('Tanh', [x]);
    case 'elu':
      return w.node('Elu', [x], [floatA('alpha', 1)]);
    case 'relu6':
      return w.node('Clip', [x, w.floats('zero', [], [0]), w.floats('six', [], [6])]);
    case 'hardSigmoid': // TF.js's: clamp(0.2·x + 0.5, 0, 1)
      return w.node('HardSigmoid', [x], [floatA('alpha', 0.2), floatA('beta', 0.5)]);
    case 'hardSwish': // HardSwish is opset 14: x·HardSigmoid(x) with PyTorch's 1/6, as PyTorch writes it for 13
      return w.node('Mul', [x, w.node('HardSigmoid', [x], [floatA('alpha', 1 / 6), floatA('beta', 0.5)])]);
    case 'softmax':
      return w.node('Softmax', [x], [intA('axis', form === 'nchw' && rank === 4 ? 1 : -1)]);
    default:
      throw new Error(`simdnet: toOnnx: ${who}: activation ${describeValue(act)} has no ONNX export`);
  }
}

/** Writes one call of a layer; returns the ONNX name of its output and its layout. */
function writeLayer(w: Writer, layer: Layer, ins: SymbolicTensor[], out: SymbolicTensor): { name: string; form: 'asis' | 'nchw' } {
  const who = `${layer.name} (${layer.className})`;
  const L = layer as unknown as Record<string, any>;
  const x = ins[0];
  const rank = out.sampleShape.length + 1;
  switch (layer.className) {
    case 'Conv2D':
    case 'DepthwiseConv2D': {
      const [H, W, C] = x.sampleShape;
      const [kh, kw] = L.kernelSize as number[];
      // A depthwise conv is the grouped conv with one group per input channel: its kernel [kh,kw,C,mult]
      // is [kh,kw,1,C·mult] read as Conv2D's [kh,kw,C/groups,F].
      const depthwise = layer.className === 'DepthwiseConv2D';
      const group = depthwise ? C : ((L.groups as number | undefined) ?? 1);
      const F = depthwise ? C * (L.depthMultiplier as number) : (L.filters as number);
      const Cg = C / group;
      const [s, d] = [L.strides as number[], L.dilationRate as number[]];
      const k = paramOf(layer, depthwise ? 'depthwise_kernel' : 'kernel');
      const wt = new Float32Array(k.length);
      for (let f = 0; f < F; f++)
        for (let c = 0; c < Cg; c++)
          for (let y = 0; y < kh; y++) for (let z = 0; z < kw; z++) wt[((f * Cg + c) * kh + y) * kw + z] = k[((y * kw + z) * Cg + c) * F + f];
      const inputs = [w.get(x, 'nchw'), w.floats('W', [F, Cg, kh, kw], wt)];
      if (L.useBias) inputs.push(w.floats('B', [F], paramOf(layer, 'bias')));
      const [ph, pw] = L.padding === 'same' ? [samePads(H, kh, s[0], d[0]), samePads(W, kw, s[1], d[1])] : [[0, 0], [0, 0]];
      const attrs = [intsA('kernel_shape', [kh, kw]), intsA('strides', s), intsA('dilations', d), intsA('pads', [ph[0], pw[0], ph[1], pw[1]])];
      if (group !== 1) attrs.push(intA('group', group));
      const y = w.node('Conv', inputs, attrs);
      return { name: activation(w, y, 'nchw', L.activation, who, rank), form: 'nchw' };
    }
    case 'SeparableConv2D': {
      // A depthwise conv (one group per channel, no bias) then a 1x1 conv with the bias and activation.
      const [H, W, C] = x.sampleShape;
      const [kh, kw] = L.kernelSize as number[];
      const [s, d] = [L.strides as number[], L.dilationRate as number[]];
      const M = L.depthMultiplier as number;
      const F = L.filters as number;
      const dk = paramOf(layer, 'depthwise_kernel'); // [kh, kw, C, M]
      const dw = new Float32Array(dk.length); // [C·M, 1, kh, kw]
      for (let c = 0; c < C; c++)
        for (let m = 0; m < M; m++) for (let y = 0; y < kh; y++) for (let z = 0; z < kw; z++) dw[((c * M + m) * kh + y) * kw + z] = dk[((y * kw + z) * C + c) * M + m];
      const [ph, pw] = L.padding === 'same' ? [samePads(H, kh, s[0], d[0]), samePads(W, kw, s[1], d[1])] : [[0, 0], [0, 0]];
      const depth = w.node('Conv', [w.get(x, 'nchw'), w.floats('W', [C * M, 1, kh, kw], dw)], [
        intsA('kernel_shape', [kh, kw]), intsA('strides', s), intsA('dilations', d), intsA('pads', [ph[0], pw[0], ph[1], pw[1]]), intA('group', C),
      ]);
      const inputs = [depth, w.floats('W', [F, C * M, 1, 1], transposed(paramOf(layer, 'pointwise_kernel'), C * M, F))];
      if (L.useBias) inputs.push(w.floats('B', [F], paramOf(layer, 'bias')));
      const y = w.node('Conv', inputs, [intsA('kernel_shape', [1, 1])]);
      return { name: activation(w, y, 'nchw', L.activation, who, rank), form: 'nchw' };
    }
    case 'Conv1D':
    case 'Conv3D': {
      // Channels-first Conv over 1 or 3 spatial axes; kernel [...k, C, F] → [F, C, ...k].
      const sample = x.sampleShape;
      const sp = sample.length - 1;
      const C = sample[sp];
      const k = [L.kernelSize].flat() as number[];
      const s = [L.strides].flat() as number[];
      const d = [L.dilationRate].flat() as number[];
      const F = L.filters as number;
      const r = k.reduce((a, b) => a * b, 1);
      const wt = transposed(paramOf(layer, 'kernel'), r * C, F); // [F, r·C] = [F, ...k, C]
      const wk = new Float32Array(wt.length); // [F, C, ...k]
      for (let f = 0; f < F; f++) for (let c = 0; c < C; c++) for (let i = 0; i < r; i++) wk[(f * C + c) * r + i] = wt[(f * r + i) * C + c];
      const pads = k.map((kk, a) => (L.padding === 'same' ? samePads(sample[a], kk, s[a], d[a]) : [0, 0]));
      const inputs = [w.get(x, 'nchw'), w.floats('W', [F, C, ...k], wk)];
      if (L.useBias) inputs.push(w.floats('B', [F], paramOf(layer, 'bias')));
      const y = w.node('Conv', inputs, [intsA('kernel_shape', k), intsA('strides', s), intsA('dilations', d), intsA('pads', [...pads.map((p) => p[0]), ...pads.map((p) => p[1])])]);
      return { name: activation(w, y, 'nchw', L.activation, who, rank), form: 'nchw' };
    }
    case 'Conv2DTranspose': {
      const [H, W, C] = x.sampleShape;
      const [kh, kw] = L.kernelSize as number[];
      const [s, d] = [L.strides as number[], L.dilationRate as number[]];
      const F = L.filters as number;
      const k = paramOf(layer, 'kernel'); // [kh, kw, F, C]
      const wt = new Float32Array(k.length); // ONNX [C, F, kh, kw]
      for (let c = 0; c < C; c++)
        for (let f = 0; f < F; f++) for (let y = 0; y < kh; y++) for (let z = 0; z < kw; z++) wt[((c * F + f) * kh + y) * kw + z] = k[((y * kw + z) * F + f) * C + c];
      // ONNX: out = (in−1)·s + span + output_padding − pads; simdnet's layer crops (before, after) from the
      // full scatter, and where its output is longer than the scatter the rest is output_padding.
      const axes = [0, 1].map((a) => {
        const span = ([kh, kw][a] - 1) * d[a] + 1;
        const len = [H, W][a];
        const o = out.sampleShape[a];
        const total = Math.max((len - 1) * s[a] + span - o, 0);
        const before = Math.floor(total / 2);
        return { before, after: total - before, extra: o - ((len - 1) * s[a] + span - total) };
      });
      const inputs = [w.get(x, 'nchw'), w.floats('W', [C, F, kh, kw], wt)];
      if (L.useBias) inputs.push(w.floats('B', [F], paramOf(layer, 'bias')));
      const attrs = [intsA('kernel_shape', [kh, kw]), intsA('strides', s), intsA('dilations', d), intsA('pads', [axes[0].before, axes[1].before, axes[0].after, axes[1].after])];
      if (axes.some((a) => a.extra)) attrs.push(intsA('output_padding', axes.map((a) => a.extra)));
      const y = w.node('ConvTranspose', inputs, attrs);
      return { name: activation(w, y, 'nchw', L.activation, who, rank), form: 'nchw' };
    }
    case 'UpSampling2D': {
      // Resize with the layer's coordinates; nearest_mode says how each rule rounds (assembly/resize.ts).
      const [sh, sw] = L.size as number[];
      const coords = L.coordinates as string;
      const attrs = [strA('mode', L.interpolation === 'bilinear' ? 'linear' : 'nearest'), strA('coordinate_transformation_mode', coords)];
      if (L.interpolation !== 'bilinear') attrs.push(strA('nearest_mode', coords === 'asymmetric' ? 'floor' : 'round_prefer_ceil'));
      return { name: w.node('Resize', [w.get(x, 'nchw'), '', w.floats('scales', [4], [1, 1, sh, sw])], attrs), form: 'nchw' };
    }
    case 'Resizing': {
      // Resize to sizes [N, C, height, width], half-pixel (tf.image.resize as Keras); ONNX's nearest rounds
      // the half-pixel source (i + ½)·in/out − ½ up at .5, which is floor((i + ½)·in/out) as the layer.
      // The batch is dynamic, so the sizes are Shape(x)[0:2] followed by the constant height and width.
      const xin = w.get(x, 'nchw');
      const nc = w.node('Slice', [w.node('Shape', [xin]), w.ints('starts', [0]), w.ints('ends', [2])]);
      const sizes = w.node('Concat', [nc, w.ints('hw', [L.height, L.width])], [intA('axis', 0)]);
      const attrs = [strA('mode', L.interpolation === 'bilinear' ? 'linear' : 'nearest'), strA('coordinate_transformation_mode', 'half_pixel')];
      if (L.interpolation !== 'bilinear') attrs.push(strA('nearest_mode', 'round_prefer_ceil'));
      return { name: w.node('Resize', [xin, '', '', sizes], attrs), form: 'nchw' };
    }
    case 'Cropping2D': {
      const [H, W] = x.sampleShape;
      const [[t, b], [l, r]] = L.cropping as [[number, number], [number, number]];
      return { name: w.node('Slice', [w.get(x, 'nchw'), w.ints('starts', [t, l]), w.ints('ends', [H - b, W - r]), w.ints('axes', [2, 3])]), form: 'nchw' };
    }
    case 'MaxPooling1D':
    case 'AveragePooling1D':
    case 'MaxPooling3D':
    case 'AveragePooling3D': {
      const sample = x.sampleShape;
      const one = sample.length === 2;
      const k = one ? [(L.poolSize as number[])[1]] : (L.poolSize as number[]);
      const s = one ? [(L.strides as number[])[1]] : (L.strides as number[]);
      const pads = k.map((kk, a) => (L.padding === 'same' ? samePads(sample[a], kk, s[a], 1) : [0, 0]));
      const op = layer.className.startsWith('Max') ? 'MaxPool' : 'AveragePool';
      return { name: w.node(op, [w.get(x, 'nchw')], [intsA('kernel_shape', k), intsA('strides', s), intsA('pads', [...pads.map((p) => p[0]), ...pads.map((p) => p[1])])]), form: 'nchw' };
    }
    case 'GlobalAveragePooling1D':
    case 'GlobalMaxPooling1D': {
      const op = layer.className === 'GlobalMaxPooling1D' ? 'ReduceMax' : 'ReduceMean';
      return { name: w.node(op, [w.get(x, 'asis')], [intsA('axes', [1]), intA('keepdims', 0)]), form: 'asis' };
    }
    case 'PReLU': {
      // alpha has the sample's shape with 1 on shared axes: ONNX broadcasts it over the batch as is.
      const alpha = layer.orderedParams().find((q) => q.name === 'alpha')!;
      return { name: w.node('PRelu', [w.get(x, 'asis'), w.floats('slope', alpha.value.shape, alpha.value.dataSync())]), form: 'asis' };
    }
    case 'Reshape':
      return { name: w.node('Reshape', [w.get(x, 'asis'), w.ints('shape', [0, ...out.sampleShape])]), form: 'asis' };
    case 'Maxout': {
      // The max over groups of g consecutive channels: reshape (…, C/g, g), reduce the last axis.
      const g = L.groupSize as number;
      const split = w.node('Reshape', [w.get(x, 'asis'), w.ints('shape', [0, ...out.sampleShape, g])]);
      return { name: w.node('ReduceMax', [split], [intsA('axes', [-1]), intA('keepdims', 0)]), form: 'asis' };
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const [H, W] = x.sampleShape;
      const k = L.poolSize as number[];
      const s = L.strides as number[];
      const [ph, pw] = L.padding === 'same' ? [samePads(H, k[0], s[0], 1), samePads(W, k[1], s[1], 1)] : [[0, 0], [0, 0]];
      const op = layer.className === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool';
      return { name: w.node(op, [w.get(x, 'nchw')], [intsA('kernel_shape', k), intsA('strides', s), intsA('pads', [ph[0], pw[0], ph[1], pw[1]])]), form: 'nchw' };
    }
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D': {
      const op = layer.className === 'GlobalMaxPooling2D' ? 'GlobalMaxPool' : 'GlobalAveragePool';
      const pooled = w.node(op, [w.get(x, 'nchw')]);
      return { name: w.node('Flatten', [pooled], [intA('axis', 1)]), form: 'asis' };
    }
    case 'Dense': {
      if (x.sampleShape.length !== 1) throw new Error(`simdnet: toOnnx: ${who}: only dense layers on vectors are exported, got input [null,${x.sampleShape}]`);
      const K = x.sampleShape[0];
      const M = L.units as number;
      const inputs = [w.get(x, 'asis'), w.floats('W', [K, M], paramOf(layer, 'kernel'))];
      if (L.useBias) inputs.push(w.floats('B', [M], paramOf(layer, 'bias')));
      const y = w.node('Gemm', inputs);
      return { name: activation(w, y, 'asis', L.activation, who, rank), form: 'asis' };
    }
    case 'Flatten':
      return { name: w.node('Flatten', [w.get(x, 'asis')], [intA('axis', 1)]), form: 'asis' };
    case 'Dropout':
    case 'RandomTranslation':
    case 'RandomRotation':
    case 'RandomZoom':
    case 'RandomFlip':
    case 'RandomContrast':
      // Training-time only (dropout, augmentation): the identity at inference, which is what ONNX runs.
      return { ...w.any(x) };
    case 'Rescaling': {
      const v = w.any(x);
      return { name: w.node('Add', [w.node('Mul', [v.name, w.floats('scale', [], [L.scale])]), w.floats('offset', [], [L.offset])]), form: v.form };
    }
    case 'ELU': {
      const v = w.any(x);
      return { name: w.node('Elu', [v.name], [floatA('alpha', L.alpha)]), form: v.form };
    }
    case 'Activation':
    case 'Softmax':
    case 'ReLU': {
      const v = L.activation === 'softmax' ? { name: w.get(x, 'asis'), form: 'asis' as const } : w.any(x);
      return { name: activation(w, v.name, v.form, L.activation, who, rank), form: v.form };
    }
    case 'LeakyReLU': {
      const v = w.any(x);
      return { name: w.node('LeakyRelu', [v.name], [floatA('alpha', L.alpha)]), form: v.form };
    }
    case 'BatchNormalization': {
      const axis = L.axis as number;
      if (axis !== -1 && axis !== x.sampleShape.length) throw new Error(`simdnet: toOnnx: ${who}: only batch norm over the last axis is exported, got axis ${axis}`);
      // ONNX normalizes axis 1: channels-first for sequences, images and volumes.
      const form = x.sampleShape.length >= 2 ? 'nchw' : 'asis';
      const c = x.sampleShape[x.sampleShape.length - 1];
      const p = (n: string) => w.floats(n, [c], paramOf(layer, n));
      // ONNX's BatchNormalization always takes a scale and a bias: ones and zeros where scale/center is off.
      const gamma = L.scale ? p('gamma') : w.floats('gamma', [c], new Float32Array(c).fill(1));
      const beta = L.center ? p('beta') : w.floats('beta', [c], new Float32Array(c));
      const y = w.node('BatchNormalization', [w.get(x, form), gamma, beta, p('moving_mean'), p('moving_variance')], [floatA('epsilon', L.epsilon), floatA('momentum', L.momentum)]);
      return { name: y, form };
    }
    case 'LayerNormalization': {
      // Opset 13 has no LayerNormalization (17 does): the same arithmetic in primitives, over the trailing
      // axes in simdnet's own layout (mean and biased variance, as the kernel).
      const r = x.sampleShape.length;
      const n = Array.isArray(L.axis) ? (L.axis as number[]).length : 1;
      const axes = Array.from({ length: n }, (_, i) => r + 1 - n + i);
      const xin = w.get(x, 'asis');
      const mean = w.node('ReduceMean', [xin], [intsA('axes', axes), intA('keepdims', 1)]);
      const d = w.node('Sub', [xin, mean]);
      const variance = w.node('ReduceMean', [w.node('Mul', [d, d])], [intsA('axes', axes), intA('keepdims', 1)]);
      let y = w.node('Div', [d, w.node('Sqrt', [w.node('Add', [variance, w.floats('eps', [], [L.epsilon])])])]);
      const shape = x.sampleShape.slice(r - n);
      if (L.scale) y = w.node('Mul', [y, w.floats('gamma', shape, paramOf(layer, 'gamma'))]);
      if (L.center) y = w.node('Add', [y, w.floats('beta', shape, paramOf(layer, 'beta'))]);
      return { name: y, form: 'asis' };
    }
    case 'Add':
    case 'Subtract':
    case 'Multiply':
    case 'Average':
    case 'Maximum':
    case 'Minimum': {
      const form = x.sampleShape.length >= 2 && w.names.get(x.id)!.nchw ? 'nchw' : 'asis';
      const names = ins.map((t) => w.get(t, form));
      const op = { Add: 'Sum', Subtract: 'Sub', Multiply: 'Mul', Average: 'Mean', Maximum: 'Max', Minimum: 'Min' }[layer.className]!;
      return chain(w, op, names, form);
    }
    case 'Concatenate': {
      const r = x.sampleShape.length + 1;
      let axis = L.axis as number;
      axis = axis < 0 ? axis + r : axis;
      if (r === 4) return { name: w.node('Concat', ins.map((t) => w.get(t, 'nchw')), [intA('axis', [0, 2, 3, 1][axis])]), form: 'nchw' };
      return { name: w.node('Concat', ins.map((t) => w.get(t, 'asis')), [intA('axis', axis)]), form: 'asis' };
    }
    case 'Permute': {
      // dims [2,3,1] / [3,1,2] on an image are loadOnnx's boundary layers: the same ONNX value seen in the
      // other layout (NCHW data held as simdnet [C,H,W] is the NCHW form of the NHWC image the permute
      // makes, and the other way), so they cost nothing. Any other permutation is a Transpose.
      const dims = (L.dims as number[]).join();
      if (x.sampleShape.length === 3 && dims === '2,3,1') return { name: w.get(x, 'asis'), form: 'nchw' };
      if (x.sampleShape.length === 3 && dims === '3,1,2') return { name: w.get(x, 'nchw'), form: 'asis' };
      return { name: w.node('Transpose', [w.get(x, 'asis')], [intsA('perm', [0, ...(L.dims as number[])])]), form: 'asis' };
    }
    case 'ZeroPadding2D': {
      const [[t, b], [l, r]] = L.padding as [[number, number], [number, number]];
      return { name: w.node('Pad', [w.get(x, 'nchw'), w.ints('pads', [0, 0, t, l, 0, 0, b, r])]), form: 'nchw' };
    }
  }
  throw new Error(`simdnet: toOnnx: ${who}: layer type ${layer.className} has no ONNX export yet`);
}

/** A [rows, cols] row-major matrix transposed to [cols, rows]. */
function transposed(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(m.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = m[i * cols + j];
  return t;
}

/** A merge as ONNX operators: Sum, Mean, Max and Min take any count; Sub and Mul are chained pairwise. */
function chain(w: Writer, op: string, names: string[], form: 'asis' | 'nchw'): { name: string; form: 'asis' | 'nchw' } {
  if (op !== 'Sub' && op !== 'Mul') return { name: w.node(op, names), form };
  let acc = names[0];
  for (const n of names.slice(1)) acc = w.node(op, [acc, n]);
  return { name: acc, form };
}

/** The tensors' calls in an order where each runs after its inputs (depth-first from the outputs). */
function callOrder(outputs: SymbolicTensor[]): SymbolicTensor[] {
  const seen = new Set<number>();
  const order: SymbolicTensor[] = [];
  const visit = (t: SymbolicTensor): void => {
    if (seen.has(t.id)) return;
    seen.add(t.id);
    t.node.inbound.forEach(visit);
    order.push(t);
  };
  outputs.forEach(visit);
  return order;
}

const valueInfo = (name: string, sample: number[]) => ({
  name,
  type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimParam: 'N' }, ...sample.map((d) => ({ dimValue: d }))] } } },
});

/** The ONNX model file (opset 13) of a simdnet model; the model must be built (given its input shape). */
export function toOnnx(model: Model): Uint8Array {
  if (!model || typeof model !== 'object' || !('outputs' in model)) throw new Error(`simdnet: toOnnx expects a simdnet model, got ${describeValue(model)}`);
  const w = new Writer();
  const inputs = model.inputs;
  const outputs = model.outputs;
  const inputIds = new Set(inputs.map((t) => t.id));
  for (const t of inputs) w.set(t, t.sourceLayer.name, 'asis');
  for (const t of callOrder(outputs)) {
    if (inputIds.has(t.id)) continue;
    const layer = t.sourceLayer;
    if (layer.className === 'InputLayer') throw new Error(`simdnet: toOnnx: input ${layer.name} is not one of the model's inputs`);
    const r = writeLayer(w, layer, t.node.inbound, t);
    w.set(t, r.name, r.form);
  }
  // Outputs under their layer names; an Identity gives the name where the value has another one.
  const used = new Set<string>();
  const outNames = outputs.map((t) => {
    let name = t.sourceLayer.name;
    while (used.has(name)) name += '_';
    used.add(name);
    w.nodes.push({ opType: 'Identity', input: [w.get(t, 'asis')], output: [name], name: `${name}_out` });
    return name;
  });
  return encodeModel({
    irVersion: 8,
    producerName: 'simdnet',
    opsetImport: [{ domain: '', version: EXPORT_OPSET }],
    graph: {
      name: model.name,
      node: w.nodes,
      initializer: w.initializers,
      input: inputs.map((t) => valueInfo(t.sourceLayer.name, t.sampleShape)),
      output: outputs.map((t, i) => valueInfo(outNames[i], t.sampleShape)),
    },
  });
}
