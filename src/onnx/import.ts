// loadOnnx: an ONNX model file → a simdnet functional model (sn.input / layer.apply / sn.model).
//
// The model takes and returns the tensors the ONNX graph declares (NCHW images for a PyTorch model), so
// inputs prepared for ONNX Runtime pass unchanged. Inside, images are NHWC as everywhere in simdnet: a
// permute layer (dims [2,3,1]) after each 4-axis input and one ([3,1,2]) before each 4-axis output are the
// one layout change; both are ordinary layers, so the model saves and loads in the TF.js format. Weights
// are rearranged at load: conv kernels [F, C, kh, kw] → [kh, kw, C, F], and the first dense layer after
// a flatten of NCHW features gets its rows reordered, so NHWC flattening feeds it what PyTorch's
// C-major flattening fed the original.
import * as sn from '../index.js';
import type { Layer, LayersModel, SymbolicTensor } from '../index.js';
import { describeValue } from '../describe.js';
import { nodeBuiltin } from '../node-builtin.js';
import { decodeModel, num, tensorValues, type OnnxAttribute, type OnnxNode, type OnnxTensor } from './schema.js';

/** A constant (initializer, Constant node, or a folded shape computation); NaN stands for the batch size. */
interface Const {
  kind: 'const';
  dims: number[];
  data: Float32Array | number[];
}
/**
 * A tensor computed by the model. `shape` is ONNX's per-sample shape; layout says how simdnet holds it:
 * 'nhwc' (ONNX [C,H,W] as [H,W,C]), 'plain' (the same shape), 'squeezed' (ONNX [C,1,1] as [C]).
 * `order`, for a flatten of NCHW features: element i of simdnet's vector is element order[i] of ONNX's.
 */
interface Sym {
  kind: 'sym';
  t: SymbolicTensor;
  shape: number[];
  layout: 'nhwc' | 'plain' | 'squeezed';
  order?: Int32Array;
}
type Value = Const | Sym;

export interface LoadOnnxOptions {
  /** The functional model's name (default: the ONNX graph's name). */
  name?: string;
}

/** Loads an ONNX model (bytes, a URL, or in Node a file path) as a simdnet functional model. */
export async function loadOnnx(source: Uint8Array | ArrayBuffer | string | URL, options: LoadOnnxOptions = {}): Promise<LayersModel> {
  return onnxToModel(await readSource(source), options);
}

async function readSource(source: Uint8Array | ArrayBuffer | string | URL): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  const href = source instanceof URL ? source.href : source;
  if (typeof href !== 'string') throw new Error(`simdnet: loadOnnx expects bytes, a URL or a file path, got ${describeValue(source)}`);
  const isNode = typeof process !== 'undefined' && !!process.versions?.node;
  if (/^https?:/i.test(href) || !isNode) {
    let res: Response;
    try {
      res = await fetch(href);
    } catch (e) {
      throw new Error(`simdnet: loadOnnx: fetching ${href} failed`, { cause: e });
    }
    if (!res.ok) throw new Error(`simdnet: loadOnnx: fetching ${href} failed: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  }
  const fs = await nodeBuiltin('fs/promises');
  const path = href.startsWith('file:') ? (await nodeBuiltin('url')).fileURLToPath(href) : href;
  return new Uint8Array(await fs.readFile(path));
}

const prod = (a: readonly number[]): number => a.reduce((p, d) => p * d, 1);
/** An ONNX name as a layer name (TF.js's scope rules: letters, digits, _ . -). */
const safe = (name: string): string => name.replace(/[^A-Za-z0-9_.-]/g, '_');

/** Builds the simdnet model from decoded ONNX bytes. */
export function onnxToModel(bytes: Uint8Array, options: LoadOnnxOptions = {}): LayersModel {
  let decoded;
  try {
    decoded = decodeModel(bytes);
  } catch (e) {
    throw new Error(`simdnet: loadOnnx: the bytes (${bytes.length}) are not an ONNX model`, { cause: e });
  }
  const graph = decoded.graph;
  if (!graph || graph.node.length === 0) throw new Error('simdnet: loadOnnx: the ONNX model has no graph');
  const opset = num(decoded.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0);

  const values = new Map<string, Value>();
  for (const t of graph.initializer) values.set(t.name, constOf(t));
  const uses = new Map<string, number>();
  for (const n of graph.node) for (const i of n.input) if (i) uses.set(i, (uses.get(i) ?? 0) + 1);
  for (const o of graph.output) uses.set(o.name, (uses.get(o.name) ?? 0) + 1);

  // Inputs: the graph inputs that are not initializers; the first axis is the batch.
  const inputs: SymbolicTensor[] = [];
  for (const vi of graph.input) {
    if (values.has(vi.name)) continue;
    const dims = vi.type?.tensorType?.shape?.dim ?? [];
    const sample = dims.slice(1).map((d) => num(d.dimValue));
    if (dims.length < 2 || sample.some((d) => !(d > 0))) {
      throw new Error(`simdnet: loadOnnx: input ${vi.name} must have a batch axis and fixed sizes for the others, got [${dims.map((d) => d.dimParam || num(d.dimValue)).join(',')}]`);
    }
    const t = sn.input({ shape: sample, name: vi.name });
    inputs.push(t);
    // As ONNX lays it out; the first image operator that reads it adds the permute to NHWC (see `image`).
    values.set(vi.name, { kind: 'sym', t, shape: sample, layout: 'plain' });
  }

  const ctx: Ctx = { values, uses, opset, matmulBias: new Map(), nhwcOf: new Map(), hardSwishMul: hardSwishMuls(graph.node) };
  for (const node of graph.node) {
    const outs = convertNode(node, ctx);
    outs.forEach((v, i) => {
      if (node.output[i]) values.set(node.output[i], v);
    });
  }

  const outputs = graph.output.map((vi) => {
    const v = values.get(vi.name);
    const where = `output ${vi.name}`;
    if (!v || v.kind !== 'sym') throw new Error(`simdnet: loadOnnx: ${where} is not computed from the inputs`);
    if (v.layout === 'nhwc') return sn.layers.permute({ dims: [3, 1, 2], name: `${safe(vi.name)}_to_nchw` }).apply(v.t);
    if (v.layout === 'squeezed') throw new Error(`simdnet: loadOnnx: ${where} has shape [N,${v.shape}] (a pooled image); simdnet returns it only flattened: add a flatten before the output`);
    if (v.order) throw new Error(`simdnet: loadOnnx: ${where} is a flattened image; simdnet keeps it in NHWC order: end the model with a layer after the flatten`);
    return v.t;
  });
  return sn.model({ inputs, outputs, name: options.name ?? (graph.name || undefined) });
}

interface Ctx {
  values: Map<string, Value>;
  uses: Map<string, number>;
  opset: number;
  /** Dense layers made for a MatMul, by the MatMul's output, waiting for the Add that gives their bias. */
  matmulBias: Map<string, Layer>;
  /** The NHWC form of 3-axis values held as ONNX lays them out (model inputs), made once per value. */
  nhwcOf: Map<string, Sym>;
  /** Mul(x, HardSigmoid(x) with alpha 1/6): hardSwish as PyTorch writes it below opset 14, by the HardSigmoid's output → the Mul. */
  hardSwishMul: Map<string, OnnxNode>;
}

/** PyTorch's HardSigmoid: alpha 1/6 (stored as a float32), beta 0.5. */
const isTorchHardSigmoid = (n: OnnxNode): boolean =>
  n.opType === 'HardSigmoid' && Math.abs(floatAttr(n, 'alpha', 0.2) - 1 / 6) < 1e-7 && floatAttr(n, 'beta', 0.5) === 0.5;

/** The Mul(x, HardSigmoid(x)) pairs of a graph (PyTorch's hardswish at opsets 9–13) whose HardSigmoid feeds only that Mul. */
function hardSwishMuls(nodes: OnnxNode[]): Map<string, OnnxNode> {
  const found = new Map<string, OnnxNode>();
  for (const h of nodes) {
    if (!isTorchHardSigmoid(h)) continue;
    const [x, hs] = [h.input[0], h.output[0]];
    const readers = nodes.filter((n) => n.input.includes(hs));
    const mul = readers[0];
    if (readers.length === 1 && mul.opType === 'Mul' && mul.input.length === 2 && mul.input.includes(x) && mul.input.includes(hs) && x !== hs) found.set(hs, mul);
  }
  return found;
}

/** [image, gate] when a is an image [C,H,W] and b a gate [C,1,1] (pooled, or a reshaped vector), else null. */
function gatePair(a: Sym, b: Sym): [Sym, Sym] | null {
  const gate = (b.layout === 'squeezed' || b.layout === 'nhwc') && b.shape.length === 3 && b.shape[1] === 1 && b.shape[2] === 1;
  return a.layout === 'nhwc' && gate && b.shape[0] === a.shape[0] && a.shape[1] * a.shape[2] > 1 ? [a, b] : null;
}

function constOf(t: OnnxTensor): Const {
  return { kind: 'const', dims: t.dims.map(num), data: tensorValues(t, t.name) };
}

function attrOf(node: OnnxNode, name: string): OnnxAttribute | undefined {
  return node.attribute.find((a) => a.name === name);
}
function intAttr(node: OnnxNode, name: string, fallback: number): number {
  const a = attrOf(node, name);
  return a ? num(a.i) : fallback;
}
function floatAttr(node: OnnxNode, name: string, fallback: number): number {
  const a = attrOf(node, name);
  return a ? a.f : fallback;
}
function intsAttr(node: OnnxNode, name: string): number[] | null {
  const a = attrOf(node, name);
  return a ? a.ints.map(num) : null;
}
function stringAttr(node: OnnxNode, name: string, fallback: string): string {
  const a = attrOf(node, name);
  return a ? new TextDecoder().decode(a.s) : fallback;
}

/** Sets a built layer's parameter by its short name (kernel, bias, gamma, ...). */
function setParam(layer: Layer, name: string, data: ArrayLike<number>): void {
  const p = layer.orderedParams().find((q) => q.name === name);
  if (!p) throw new Error(`simdnet: loadOnnx: ${layer.name} has no parameter ${name}`);
  p.value.set(data);
}

/** TensorFlow's 'same' padding of one axis: [before, after]. */
function samePads(len: number, size: number, stride: number, dilation: number): [number, number] {
  const span = (size - 1) * dilation + 1;
  const out = Math.ceil(len / stride);
  const total = Math.max((out - 1) * stride + span - len, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** A conv or pool node's padding as [top, left, bottom, right], from auto_pad or pads. */
function padsOf(node: OnnxNode, hw: number[], k: number[], s: number[], d: number[], who: string): number[] {
  const auto = stringAttr(node, 'auto_pad', 'NOTSET');
  if (auto === 'VALID') return [0, 0, 0, 0];
  if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    const [h, w] = [0, 1].map((a) => samePads(hw[a], k[a], s[a], d[a]));
    return auto === 'SAME_UPPER' ? [h[0], w[0], h[1], w[1]] : [h[1], w[1], h[0], w[0]];
  }
  if (auto !== 'NOTSET') throw new Error(`simdnet: loadOnnx: ${who}: auto_pad ${describeValue(auto)} is not an ONNX value`);
  return intsAttr(node, 'pads') ?? [0, 0, 0, 0];
}

/** 'valid' or 'same' where the pads are one of TensorFlow's rules, else null (explicit padding needed). */
function paddingRule(pads: number[], hw: number[], k: number[], s: number[], d: number[]): 'valid' | 'same' | null {
  if (pads.every((p) => p === 0)) return 'valid';
  const [h, w] = [0, 1].map((a) => samePads(hw[a], k[a], s[a], d[a]));
  return pads[0] === h[0] && pads[2] === h[1] && pads[1] === w[0] && pads[3] === w[1] ? 'same' : null;
}

function convertNode(node: OnnxNode, ctx: Ctx): Value[] {
  const who = `node ${node.name || node.output[0]} (${node.opType})`;
  const fail = (why: string): never => {
    throw new Error(`simdnet: loadOnnx: ${who}: ${why}`);
  };
  const get = (i: number): Value => {
    const name = node.input[i];
    const v = name ? ctx.values.get(name) : undefined;
    if (!v) fail(`input ${i} (${describeValue(name)}) is not defined before the node`);
    return v!;
  };
  const sym = (i: number): Sym => {
    const v = get(i);
    if (v.kind !== 'sym') fail(`input ${i} (${node.input[i]}) must be computed from the model's inputs, not a constant`);
    return v as Sym;
  };
  const cnst = (i: number): Const => {
    const v = get(i);
    if (v.kind !== 'const') fail(`input ${i} (${node.input[i]}) must be a constant (an initializer)`);
    return v as Const;
  };
  const image = (i: number): Sym => {
    const v = sym(i);
    if (v.layout === 'plain' && v.shape.length === 3 && !v.order) {
      const name = node.input[i];
      let nhwc = ctx.nhwcOf.get(name);
      if (!nhwc) {
        nhwc = { kind: 'sym', t: sn.layers.permute({ dims: [2, 3, 1], name: `${safe(name)}_to_nhwc` }).apply(v.t), shape: v.shape, layout: 'nhwc' };
        ctx.nhwcOf.set(name, nhwc);
      }
      return nhwc;
    }
    if (v.layout !== 'nhwc') fail(`expects an image (N,C,H,W), got shape [N,${v.shape}]`);
    return v;
  };
  const elementwise = (layer: Layer): Value[] => {
    const x = sym(0);
    return [{ ...x, t: layer.apply(x.t) }]; // a pooled [C,1,1] ('squeezed') too: elementwise on its [C]
  };
  const name = node.name ? safe(node.name) : undefined;

  switch (node.opType) {
    case 'Constant': {
      const t = attrOf(node, 'value')?.t;
      if (!t) fail("only the 'value' form of Constant is read");
      return [constOf(t!)];
    }
    case 'Identity':
    case 'Dropout':
      return [get(0)];
    case 'Transpose': {
      // Only the layout changes simdnet's own exports make: the same simdnet tensor, read in the other layout.
      const x = sym(0);
      const perm = (intsAttr(node, 'perm') ?? []).join();
      if (perm === '0,3,1,2' && x.layout === 'plain' && x.shape.length === 3 && !x.order) {
        const [h, w, c] = x.shape;
        return [{ kind: 'sym', t: x.t, shape: [c, h, w], layout: 'nhwc' }];
      }
      if (perm === '0,2,3,1' && x.layout === 'nhwc') {
        const [c, h, w] = x.shape;
        return [{ kind: 'sym', t: x.t, shape: [h, w, c], layout: 'plain' }];
      }
      // Any other permutation of a tensor held as ONNX holds it (the batch axis staying first): a permute layer.
      const p = intsAttr(node, 'perm') ?? [];
      if (x.layout === 'plain' && !x.order && p[0] === 0 && p.length === x.shape.length + 1 && x.shape.length > 1) {
        const dims = p.slice(1);
        return [{ kind: 'sym', t: sn.layers.permute({ dims, name }).apply(x.t), shape: dims.map((a) => x.shape[a - 1]), layout: 'plain' }];
      }
      return fail(`only transposes that keep the batch axis first, of tensors other than NCHW images, and NHWC↔NCHW ones (perm 0,3,1,2 or 0,2,3,1) are supported, got perm [${perm}] on [N,${x.shape}]`);
    }
    case 'Pad': {
      const x = image(0);
      const pads = node.input[1] ? Array.from(cnst(1).data) : (intsAttr(node, 'pads') ?? []);
      const mode = stringAttr(node, 'mode', 'constant');
      const value = node.input[2] ? cnst(2).data[0] : 0;
      if (mode !== 'constant' || value !== 0 || pads.length !== 8 || pads[0] || pads[1] || pads[4] || pads[5] || pads.some((p) => p < 0)) {
        fail(`only zero padding of H and W is supported, got mode ${mode}, value ${value}, pads [${pads}]`);
      }
      if (pads.every((p) => p === 0)) return [x]; // PyTorch's avg_pool2d at opset 11 pads by nothing first
      const t = sn.layers.zeroPadding2d({ padding: [[pads[2], pads[6]], [pads[3], pads[7]]], name }).apply(x.t);
      return [{ kind: 'sym', t, shape: [x.shape[0], t.sampleShape[0], t.sampleShape[1]], layout: 'nhwc' }];
    }
    case 'Shape': {
      const x = sym(0);
      return [{ kind: 'const', dims: [x.shape.length + 1], data: [NaN, ...x.shape] }];
    }
    case 'Gather': {
      const data = cnst(0);
      const idx = cnst(1);
      if (data.dims.length !== 1 || intAttr(node, 'axis', 0) !== 0) fail('only gathers from a 1-axis constant (a shape) are folded');
      const n = data.dims[0];
      const out = Array.from(idx.data, (i) => data.data[i < 0 ? i + n : i]);
      return [{ kind: 'const', dims: idx.dims, data: out }];
    }
    case 'Slice': {
      // Of a shape (PyTorch's interpolate(size=…) takes Shape(x)[0:2]); steps of 1.
      const data = cnst(0);
      if (data.dims.length !== 1) fail('only slices of a 1-axis constant (a shape) are folded');
      const n = data.dims[0];
      const [starts, ends] = [1, 2].map((i) => Array.from(cnst(i).data));
      const axes = node.input[3] ? Array.from(cnst(3).data) : [0];
      const steps = node.input[4] ? Array.from(cnst(4).data) : [1];
      if (starts.length !== 1 || axes[0] !== 0 || steps[0] !== 1) fail('only one-axis slices with step 1 are folded');
      const at = (v: number) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
      const out = Array.from(data.data).slice(at(starts[0]), at(ends[0]));
      return [{ kind: 'const', dims: [out.length], data: out }];
    }
    case 'Unsqueeze': {
      const x = cnst(0);
      const axes = intsAttr(node, 'axes') ?? Array.from(cnst(1).data);
      const dims = [...x.dims];
      for (const a of [...axes].sort((p, q) => p - q)) dims.splice(a < 0 ? a + dims.length + axes.length : a, 0, 1);
      return [{ kind: 'const', dims, data: x.data }];
    }
    case 'Concat': {
      const axis = intAttr(node, 'axis', 0);
      const parts = node.input.map((_, i) => get(i));
      if (parts.every((p) => p.kind === 'const')) {
        const cs = parts as Const[];
        if (cs.some((c) => c.dims.length !== 1)) fail('only concatenations of 1-axis constants (shapes) are folded');
        const data = cs.flatMap((c) => Array.from(c.data));
        return [{ kind: 'const', dims: [data.length], data }];
      }
      const syms = parts.map((_, i) => sym(i));
      const rank = syms[0].shape.length + 1;
      const ax = axis < 0 ? axis + rank : axis;
      const layout = syms[0].layout;
      if (ax !== 1 || syms.some((s) => s.layout !== layout || s.order || s.layout === 'squeezed' || (layout === 'plain' && s.shape.length !== 1))) {
        fail(`only concatenations along the channel axis of images, or of vectors, are supported (axis ${axis}, shapes ${syms.map((s) => `[N,${s.shape}]`).join(' ')})`);
      }
      const t = sn.layers.concatenate({ axis: -1, name }).apply(syms.map((s) => s.t));
      const shape = [syms.reduce((c, s) => c + s.shape[0], 0), ...syms[0].shape.slice(1)];
      return [{ kind: 'sym', t, shape, layout }];
    }
    case 'Flatten':
    case 'Reshape': {
      const x = sym(0);
      const size = prod(x.shape);
      if (node.opType === 'Flatten') {
        if (intAttr(node, 'axis', 1) !== 1) fail('only axis 1 (keep the batch axis) is supported');
      } else {
        const target = Array.from(cnst(1).data);
        // A vector [C] as [C,1,1] (PyTorch's view(n, c, 1, 1) of a gate) or [1,1,C] (simdnet's export of reshape to a gate).
        const vector = ((x.layout === 'plain' && x.shape.length === 1) || x.layout === 'squeezed') && !x.order;
        const rest = target.slice(1).join();
        if (vector && target.length === 4 && (Number.isNaN(target[0]) || target[0] === 0 || target[0] === -1)) {
          const C = x.shape[0];
          if (rest === `${C},1,1`) return [{ kind: 'sym', t: x.t, shape: [C, 1, 1], layout: 'squeezed' }];
          if (rest === `1,1,${C}`) return [{ kind: 'sym', t: sn.layers.reshape({ targetShape: [1, 1, C], name }).apply(x.t), shape: [1, 1, C], layout: 'plain' }];
        }
        const batchFirst = target.length === 2 && (Number.isNaN(target[0]) || target[0] === 0 || (target[0] === -1 && target[1] === size));
        if (!batchFirst || !(target[1] === -1 || target[1] === size)) {
          fail(`only reshapes to [batch, ${size}] are supported, got [${target.map((d) => (Number.isNaN(d) ? 'batch' : d)).join(',')}] for [N,${x.shape}]`);
        }
      }
      if (x.layout === 'plain' && x.shape.length === 1) return [x];
      if (x.layout === 'squeezed') return [{ kind: 'sym', t: x.t, shape: [size], layout: 'plain' }];
      const t = sn.layers.flatten({ name }).apply(x.t);
      if (x.layout !== 'nhwc' || x.shape[0] === 1 || x.shape[1] * x.shape[2] === 1) return [{ kind: 'sym', t, shape: [size], layout: 'plain' }];
      const [C, H, W] = x.shape;
      const order = new Int32Array(size);
      for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) order[(h * W + w) * C + c] = (c * H + h) * W + w;
      return [{ kind: 'sym', t, shape: [size], layout: 'plain', order }];
    }
    case 'Gemm':
    case 'MatMul': {
      const a = sym(0);
      const b = cnst(1);
      if (a.layout !== 'plain' || a.shape.length !== 1) fail(`expects a batch of vectors as input A, got [N,${a.shape}]`);
      if (b.dims.length !== 2) fail(`expects a 2-axis constant B, got dims [${b.dims}]`);
      const gemm = node.opType === 'Gemm';
      if (gemm && intAttr(node, 'transA', 0) !== 0) fail('transA=1 is not supported');
      const transB = gemm && intAttr(node, 'transB', 0) === 1;
      const alpha = gemm ? floatAttr(node, 'alpha', 1) : 1;
      const beta = gemm ? floatAttr(node, 'beta', 1) : 1;
      const [K, M] = transB ? [b.dims[1], b.dims[0]] : b.dims;
      if (K !== a.shape[0]) fail(`B is [${b.dims}] but A has ${a.shape[0]} features`);
      const cIn = gemm && node.input[2] ? cnst(2) : null;
      const dense = sn.layers.dense({ units: M, useBias: !!cIn || !gemm, name });
      const t = dense.apply(a.t);
      const kernel = new Float32Array(K * M);
      for (let i = 0; i < K; i++) {
        const r = a.order ? a.order[i] : i;
        for (let o = 0; o < M; o++) kernel[i * M + o] = alpha * b.data[transB ? o * K + r : r * M + o];
      }
      setParam(dense, 'kernel', kernel);
      if (cIn) {
        if (cIn.data.length !== M && cIn.data.length !== 1) fail(`C has ${cIn.data.length} values for ${M} outputs`);
        setParam(dense, 'bias', Array.from({ length: M }, (_, o) => beta * cIn.data[cIn.data.length === 1 ? 0 : o]));
      }
      if (!gemm) ctx.matmulBias.set(node.output[0], dense);
      return [{ kind: 'sym', t, shape: [M], layout: 'plain' }];
    }
    case 'Mul':
      // The Mul of a hardswish (see hardSwishMul): its HardSigmoid input already holds x·HardSigmoid(x).
      for (const i of [0, 1]) if (ctx.hardSwishMul.get(node.input[i]) === node) return [get(i)];
    // eslint-disable-next-line no-fallthrough
    case 'Add':
    case 'Sub':
    case 'Div':
    case 'Sum':
    case 'Mean':
    case 'Max':
    case 'Min': {
      const all = node.input.map((_, i) => get(i));
      const [p, q] = all;
      if (all.every((v) => v.kind === 'sym')) {
        if (node.opType === 'Div') fail(`division by a computed tensor is not supported at opset ${ctx.opset} (only by a constant)`);
        const syms = all as Sym[];
        // Mul of an image [C,H,W] and a gate [C,1,1] either way round (squeeze-excite): multiply's channel gate.
        const gate = syms.length === 2 && node.opType === 'Mul' ? gatePair(syms[0], syms[1]) ?? gatePair(syms[1], syms[0]) : null;
        if (gate) {
          const [img, g] = gate;
          const gt = g.layout === 'squeezed' ? sn.layers.reshape({ targetShape: [1, 1, g.shape[0]], name: name && `${name}_gate` }).apply(g.t) : g.t;
          return [{ ...img, t: sn.layers.multiply({ name }).apply([img.t, gt]) }];
        }
        if (syms.some((v) => v.layout !== syms[0].layout || v.shape.join() !== syms[0].shape.join() || !!v.order !== !!syms[0].order)) {
          fail(`only tensors of one shape and layout are combined (no broadcasting), got ${syms.map((v) => `[N,${v.shape}]`).join(' ')}`);
        }
        if (syms.length === 1) return [syms[0]];
        const make = { Add: sn.layers.add, Sum: sn.layers.add, Sub: sn.layers.subtract, Mul: sn.layers.multiply, Mean: sn.layers.average, Max: sn.layers.maximum, Min: sn.layers.minimum }[node.opType as 'Add']!;
        return [{ ...syms[0], t: make({ name }).apply(syms.map((v) => v.t)) }];
      }
      if (all.length !== 2 || all.every((v) => v.kind === 'const')) fail('constant operands are supported only with one computed operand');
      const symFirst = p.kind === 'sym';
      const [s, c] = symFirst ? [p as Sym, q as Const] : [q as Sym, p as Const];
      // A MatMul's bias: Add(MatMul(x, W), b) is one dense layer.
      const dense = node.opType === 'Add' ? ctx.matmulBias.get(node.input[symFirst ? 0 : 1]) : undefined;
      if (dense && ctx.uses.get(node.input[symFirst ? 0 : 1]) === 1 && (c.data.length === s.shape[0] || c.data.length === 1)) {
        setParam(dense, 'bias', Array.from({ length: s.shape[0] }, (_, o) => c.data[c.data.length === 1 ? 0 : o]));
        return [s];
      }
      // One constant value (PyTorch's x + 3, x * 0.5, x / 6): y = x·scale + offset, a rescaling layer
      // (division by the reciprocal). Constants of several values would need broadcasting: refused.
      const v = c.data[0];
      if (c.data.length !== 1 || c.dims.length > s.shape.length + 1 || !['Add', 'Sub', 'Mul', 'Div'].includes(node.opType)) {
        fail(`a constant operand (dims [${c.dims}]) is supported only as one value added, subtracted, multiplied or divided, or as the bias added to a MatMul`);
      }
      if (node.opType === 'Div' && !symFirst) fail(`dividing a constant by a computed tensor is not supported at opset ${ctx.opset}`);
      if (node.opType === 'Div' && (v === 0 || !Number.isFinite(1 / v))) fail(`division by ${v} is not supported`);
      const [scale, offset] = { Add: [1, v], Sub: symFirst ? [1, -v] : [-1, v], Mul: [v, 0], Div: [1 / v, 0] }[node.opType as 'Add']!;
      return [{ ...s, t: sn.layers.rescaling({ scale, offset, name }).apply(s.t) }];
    }
    case 'Relu':
      return elementwise(sn.layers.activation({ activation: 'relu', name }));
    case 'Sigmoid':
      return elementwise(sn.layers.activation({ activation: 'sigmoid', name }));
    case 'Tanh':
      return elementwise(sn.layers.activation({ activation: 'tanh', name }));
    case 'Elu':
      return elementwise(sn.layers.elu({ alpha: floatAttr(node, 'alpha', 1), name }));
    case 'LeakyRelu':
      return elementwise(sn.layers.leakyReLU({ alpha: floatAttr(node, 'alpha', 0.01), name }));
    case 'HardSwish':
      return elementwise(sn.layers.activation({ activation: 'hardSwish', name }));
    case 'HardSigmoid': {
      // PyTorch's hardswish below opset 14, Mul(x, HardSigmoid(x)): the whole pair is one hardSwish (the Mul passes it on).
      if (ctx.hardSwishMul.has(node.output[0])) return elementwise(sn.layers.activation({ activation: 'hardSwish', name }));
      // simdnet's hardSigmoid is TF.js's clamp(0.2·x + 0.5, 0, 1); other alpha and beta (PyTorch's 1/6) are
      // that after a rescaling: 0.2·(x·alpha/0.2 + (beta − 0.5)/0.2) + 0.5 = alpha·x + beta.
      const alpha = floatAttr(node, 'alpha', 0.2);
      const beta = floatAttr(node, 'beta', 0.5);
      if (!Number.isFinite(alpha) || !Number.isFinite(beta)) fail(`alpha ${alpha} and beta ${beta} must be finite`);
      const x = sym(0);
      let t = x.t;
      if (Math.fround(alpha) !== Math.fround(0.2) || beta !== 0.5) { // attributes are float32; the default is not
        t = sn.layers.rescaling({ scale: alpha / 0.2, offset: (beta - 0.5) / 0.2, name: name && `${name}_scale` }).apply(t);
      }
      return [{ ...x, t: sn.layers.activation({ activation: 'hardSigmoid', name }).apply(t) }];
    }
    case 'Clip': {
      const lo = node.input[1] ? cnst(1).data[0] : floatAttr(node, 'min', -Infinity);
      const hi = node.input[2] ? cnst(2).data[0] : floatAttr(node, 'max', Infinity);
      if (lo === 0 && hi === 6) return elementwise(sn.layers.activation({ activation: 'relu6', name }));
      if (lo === 0 && hi === Infinity) return elementwise(sn.layers.activation({ activation: 'relu', name }));
      return fail(`only Clip(0, 6) (relu6) and Clip(0) are supported, got Clip(${lo}, ${hi})`);
    }
    case 'Softmax': {
      const x = sym(0);
      const axis = intAttr(node, 'axis', ctx.opset >= 13 ? -1 : 1);
      if (x.layout !== 'plain' || x.shape.length !== 1 || (axis !== -1 && axis !== 1)) fail(`only a softmax over vectors is supported, got [N,${x.shape}] axis ${axis}`);
      return [{ ...x, t: sn.layers.activation({ activation: 'softmax', name }).apply(x.t) }];
    }
    case 'BatchNormalization': {
      const x = sym(0);
      if (x.layout === 'squeezed' || x.order || (x.layout === 'plain' && x.shape.length !== 1)) fail(`expects an image or a vector, got [N,${x.shape}]`);
      if (node.output.length > 1 && node.output.slice(1).some((o) => o)) fail('only the inference form (one output) is supported');
      const bn = sn.layers.batchNormalization({ epsilon: floatAttr(node, 'epsilon', 1e-5), momentum: floatAttr(node, 'momentum', 0.9), name });
      const t = bn.apply(x.t);
      (['gamma', 'beta', 'moving_mean', 'moving_variance'] as const).forEach((p, i) => setParam(bn, p, cnst(i + 1).data));
      return [{ ...x, t }];
    }
    case 'Conv': {
      const w = cnst(1);
      const v = sym(0);
      // A 1x1 conv of a pooled [C,1,1] (squeeze-excite) is a dense layer on its [C]: kernel [F,C,1,1] → [C,F].
      if (v.layout === 'squeezed' && w.dims.length === 4 && w.dims[2] === 1 && w.dims[3] === 1 && intAttr(node, 'group', 1) === 1 && (intsAttr(node, 'pads') ?? [0]).every((p) => p === 0)) {
        const [F, C] = w.dims;
        if (C !== v.shape[0]) fail(`weights [${w.dims}] do not fit ${v.shape[0]} input channels`);
        const b = node.input[2] ? cnst(2) : null;
        const dense = sn.layers.dense({ units: F, useBias: !!b, name });
        const t = dense.apply(v.t);
        setParam(dense, 'kernel', Float32Array.from({ length: C * F }, (_, i) => w.data[(i % F) * C + Math.floor(i / F)]));
        if (b) setParam(dense, 'bias', b.data);
        return [{ kind: 'sym', t, shape: [F, 1, 1], layout: 'squeezed' }];
      }
      const x = image(0);
      const [C, H, W] = x.shape;
      if (w.dims.length !== 4) fail(`only 2D convolutions are supported, got weights [${w.dims}]`);
      const [F, Cg, kh, kw] = w.dims;
      // Grouped and depthwise convs (group = C) are Conv2D's groups: the same split of channels and filters.
      const group = intAttr(node, 'group', 1);
      if (Cg * group !== C || F % group !== 0) fail(`weights [${w.dims}] with group ${group} do not fit ${C} input channels`);
      const s = intsAttr(node, 'strides') ?? [1, 1];
      const d = intsAttr(node, 'dilations') ?? [1, 1];
      const pads = padsOf(node, [H, W], [kh, kw], s, d, who);
      let rule = paddingRule(pads, [H, W], [kh, kw], s, d);
      let inT = x.t;
      if (!rule) {
        inT = sn.layers.zeroPadding2d({ padding: [[pads[0], pads[2]], [pads[1], pads[3]]], name: name && `${name}_pad` }).apply(inT);
        rule = 'valid';
      }
      const b = node.input[2] ? cnst(2) : null;
      const conv = sn.layers.conv2d({ filters: F, kernelSize: [kh, kw], strides: [s[0], s[1]], dilationRate: [d[0], d[1]], padding: rule, useBias: !!b, groups: group, name });
      const t = conv.apply(inT);
      const kernel = new Float32Array(w.data.length);
      for (let f = 0; f < F; f++)
        for (let c = 0; c < Cg; c++)
          for (let y = 0; y < kh; y++) for (let z = 0; z < kw; z++) kernel[((y * kw + z) * Cg + c) * F + f] = w.data[((f * Cg + c) * kh + y) * kw + z];
      setParam(conv, 'kernel', kernel);
      if (b) setParam(conv, 'bias', b.data);
      const [oh, ow] = t.sampleShape;
      return [{ kind: 'sym', t, shape: [F, oh, ow], layout: 'nhwc' }];
    }
    case 'ConvTranspose': {
      const x = image(0);
      const w = cnst(1);
      const [C, H, W] = x.shape;
      if (w.dims.length !== 4) fail(`only 2D transposed convolutions are supported, got weights [${w.dims}]`);
      const [Cw, F, kh, kw] = w.dims; // ONNX: [C, F/group, kh, kw]
      if (intAttr(node, 'group', 1) !== 1) fail(`only group 1 is supported, got group ${intAttr(node, 'group', 1)}`);
      if (Cw !== C) fail(`weights [${w.dims}] do not fit ${C} input channels`);
      if (attrOf(node, 'output_shape')) fail('output_shape is not supported (give pads and output_padding)');
      const auto = stringAttr(node, 'auto_pad', 'NOTSET');
      if (auto !== 'NOTSET' && auto !== 'VALID') fail(`auto_pad ${auto} is not supported (give pads)`);
      const s = intsAttr(node, 'strides') ?? [1, 1];
      const d = intsAttr(node, 'dilations') ?? [1, 1];
      const pads = auto === 'VALID' ? [0, 0, 0, 0] : (intsAttr(node, 'pads') ?? [0, 0, 0, 0]);
      const op = intsAttr(node, 'output_padding') ?? [0, 0];
      // ONNX's output is the full scatter ((in−1)·s + span, then output_padding zeros) with pads cut
      // off; simdnet's 'valid' output is the full scatter (and zeros where the kernel is shorter than the
      // stride), so a crop gives ONNX's — if output_padding reaches no further than that.
      const b = node.input[2] ? cnst(2) : null;
      const deconv = sn.layers.conv2dTranspose({ filters: F, kernelSize: [kh, kw], strides: [s[0], s[1]], dilationRate: [d[0], d[1]], padding: 'valid', useBias: !!b, name });
      let t = deconv.apply(x.t);
      const [vh, vw] = t.sampleShape;
      const want = [0, 1].map((a) => s[a] * ([H, W][a] - 1) + op[a] + (([kh, kw][a] - 1) * d[a] + 1) - pads[a] - pads[a + 2]);
      const crop = [0, 1].map((a) => [pads[a], [vh, vw][a] - pads[a] - want[a]]) as [[number, number], [number, number]];
      if (crop.some(([, after]) => after < 0) || want.some((v) => v <= 0)) {
        fail(`output_padding [${op}] with pads [${pads}] reaches past the transposed conv's output (${vh}x${vw}); not supported`);
      }
      const kernel = new Float32Array(w.data.length);
      for (let c = 0; c < C; c++)
        for (let f = 0; f < F; f++)
          for (let y = 0; y < kh; y++) for (let z = 0; z < kw; z++) kernel[((y * kw + z) * F + f) * C + c] = w.data[((c * F + f) * kh + y) * kw + z];
      setParam(deconv, 'kernel', kernel);
      if (b) setParam(deconv, 'bias', b.data);
      if (crop.some(([p, q]) => p || q)) t = sn.layers.cropping2D({ cropping: crop, name: name && `${name}_crop` }).apply(t);
      return [{ kind: 'sym', t, shape: [F, want[0], want[1]], layout: 'nhwc' }];
    }
    case 'Resize':
    case 'Upsample':
      return [resize(node, ctx, image(0), (i) => (node.input[i] ? cnst(i) : null), fail, name)];
    case 'MaxPool':
    case 'AveragePool': {
      const x = image(0);
      const [C, H, W] = x.shape;
      const k = intsAttr(node, 'kernel_shape') ?? fail('kernel_shape is missing');
      const s = intsAttr(node, 'strides') ?? [1, 1];
      const d = intsAttr(node, 'dilations') ?? [1, 1];
      if (k.length !== 2) fail(`only 2D pooling is supported, got kernel_shape [${k}]`);
      if (d.some((v) => v !== 1)) fail(`dilations [${d}] are not supported`);
      if (node.output.length > 1 && node.output[1]) fail('the indices output is not supported');
      const pads = padsOf(node, [H, W], k, s, d, who);
      const avg = node.opType === 'AveragePool';
      let rule = paddingRule(pads, [H, W], k, s, d);
      let inT = x.t;
      // TensorFlow's 'same' ignores the padding cells (max and count_include_pad=0 average, as ONNX by default);
      // zero padding counted in the average is explicit padding.
      if (rule === 'same' && avg && intAttr(node, 'count_include_pad', 0) === 1) rule = null;
      if (!rule) {
        if (!avg || intAttr(node, 'count_include_pad', 0) !== 1) fail(`pads [${pads}] are supported only where they are TensorFlow's 'same' rule, or in an average counting them`);
        inT = sn.layers.zeroPadding2d({ padding: [[pads[0], pads[2]], [pads[1], pads[3]]], name: name && `${name}_pad` }).apply(inT);
        rule = 'valid';
      }
      const [ph, pw] = [H + pads[0] + pads[2], W + pads[1] + pads[3]];
      if (intAttr(node, 'ceil_mode', 0) === 1 && ((ph - k[0]) % s[0] !== 0 || (pw - k[1]) % s[1] !== 0)) {
        fail('ceil_mode=1 with a window that does not tile the input is not supported');
      }
      const args = { poolSize: [k[0], k[1]], strides: [s[0], s[1]], padding: rule, name };
      const t = (avg ? sn.layers.averagePooling2d(args) : sn.layers.maxPooling2d(args)).apply(inT);
      return [{ kind: 'sym', t, shape: [C, t.sampleShape[0], t.sampleShape[1]], layout: 'nhwc' }];
    }
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
    case 'ReduceMean': {
      const x = image(0);
      let keep = true;
      if (node.opType === 'ReduceMean') {
        const axes = intsAttr(node, 'axes') ?? (node.input[1] ? Array.from(cnst(1).data) : []);
        const norm = axes.map((a) => (a < 0 ? a + 4 : a)).sort().join();
        if (norm !== '2,3') fail(`only a mean over H and W (axes 2,3) is supported, got axes [${axes}]`);
        keep = intAttr(node, 'keepdims', 1) === 1;
      }
      const layer = node.opType === 'GlobalMaxPool' ? sn.layers.globalMaxPooling2d({ name }) : sn.layers.globalAveragePooling2d({ name });
      const t = layer.apply(x.t);
      return [keep ? { kind: 'sym', t, shape: [x.shape[0], 1, 1], layout: 'squeezed' } : { kind: 'sym', t, shape: [x.shape[0]], layout: 'plain' }];
    }
    default:
      return fail(`operator ${node.opType}${node.domain ? ` (domain ${node.domain})` : ''} at opset ${ctx.opset} is not supported by simdnet`);
  }
}

/**
 * Resize (opsets 10–19) and Upsample (7–9): whole scale factors on H and W as an upSampling2d layer,
 * nearest or linear, with the coordinate rules the layer has; other output sizes (PyTorch's
 * interpolate(size=…), simdnet's own resizing export) as a resizing layer, half-pixel only. A nearest
 * rounding rule is accepted where it picks the same source pixels as the layer's for these sizes (checked
 * pixel by pixel).
 */
function resize(node: OnnxNode, ctx: Ctx, x: Sym, input: (i: number) => Const | null, fail: (why: string) => never, name?: string): Sym {
  const [C, H, W] = x.shape;
  const legacy = node.opType === 'Upsample' || ctx.opset < 11;
  // Inputs: Upsample-9 / Resize-10 (X, scales); Resize-11+ (X, roi, scales, sizes). Upsample-7: a scales attribute.
  const scalesIn = input(legacy ? 1 : 2);
  const sizesIn = legacy ? null : input(3);
  let scales: number[] | null = scalesIn && scalesIn.data.length ? Array.from(scalesIn.data) : (attrOf(node, 'scales')?.floats ?? null);
  let sizes: number[] | null = null;
  if (sizesIn && sizesIn.data.length) {
    sizes = Array.from(sizesIn.data);
    if (sizes.length !== 4 || (sizes[1] !== C && !Number.isNaN(sizes[1]))) fail(`sizes [${sizes}] must keep the batch and the ${C} channels`);
    scales = [1, 1, sizes[2] / H, sizes[3] / W];
  }
  if (!scales || scales.length !== 4) fail('scales or sizes for the 4 axes are needed');
  const [sn0, sc, sh, sw] = scales!;
  const whole = Number.isInteger(sh) && Number.isInteger(sw) && sh >= 1 && sw >= 1;
  if ((sn0 !== 1 && !Number.isNaN(sn0)) || sc !== 1 || (!whole && !sizes)) {
    fail(`only sizes, or whole scale factors on H and W, are supported, got scales [${scales}]`);
  }
  const mode = stringAttr(node, 'mode', 'nearest');
  if (mode !== 'nearest' && mode !== 'linear' && mode !== 'bilinear') fail(`mode ${describeValue(mode)} is not supported (nearest, linear)`);
  const ctm = legacy ? 'asymmetric' : stringAttr(node, 'coordinate_transformation_mode', 'half_pixel');
  const OH = whole ? H * sh : sizes![2];
  const OW = whole ? W * sw : sizes![3];
  let coordinates: 'asymmetric' | 'half_pixel' | 'align_corners';
  if (ctm === 'asymmetric' || ctm === 'half_pixel' || ctm === 'align_corners') coordinates = ctm;
  else if (ctm === 'pytorch_half_pixel' && OH > 1 && OW > 1) coordinates = 'half_pixel';
  else return fail(`coordinate_transformation_mode ${describeValue(ctm)} is not supported (asymmetric, half_pixel, pytorch_half_pixel, align_corners)`);
  if (!whole && coordinates !== 'half_pixel') fail(`sizes [${sizes}] that are not whole multiples of ${H}x${W} are supported only with half_pixel coordinates, got ${ctm}`);
  if (mode === 'nearest') {
    // Resize-10 and Upsample take the floor of the source coordinate.
    const rule = legacy ? 'floor' : stringAttr(node, 'nearest_mode', 'round_prefer_floor');
    for (const [n, o] of [[H, OH], [W, OW]]) {
      for (let i = 0; i < o; i++) {
        if (onnxNearest(i, n, o, coordinates, rule) !== layerNearest(i, n, o, coordinates)) {
          fail(`nearest_mode ${describeValue(rule)} with coordinate_transformation_mode ${ctm} picks other pixels than simdnet's resize for ${H}x${W} → ${OH}x${OW}`);
        }
      }
    }
  }
  const interpolation = mode === 'nearest' ? 'nearest' : 'bilinear';
  const layer = whole
    ? sn.layers.upSampling2d({ size: [sh, sw], interpolation, coordinates, name })
    : sn.layers.resizing({ height: OH, width: OW, interpolation, name });
  return { kind: 'sym', t: layer.apply(x.t), shape: [C, OH, OW], layout: 'nhwc' };
}

/** The source index ONNX's nearest Resize reads for output index i (in → out along one axis). */
function onnxNearest(i: number, n: number, out: number, ctm: string, rule: string): number {
  const src = ctm === 'align_corners' ? (out > 1 ? (i * (n - 1)) / (out - 1) : 0) : ctm === 'half_pixel' ? ((i + 0.5) * n) / out - 0.5 : (i * n) / out;
  const r =
    rule === 'floor' ? Math.floor(src)
    : rule === 'ceil' ? Math.ceil(src)
    : rule === 'round_prefer_ceil' ? Math.floor(src + 0.5)
    : Math.ceil(src - 0.5); // round_prefer_floor
  return Math.min(Math.max(r, 0), n - 1);
}

/** The source index simdnet's nearest resize reads (assembly/resize.ts). */
function layerNearest(i: number, n: number, out: number, coordinates: string): number {
  if (coordinates === 'align_corners') return Math.min(Math.round(out > 1 ? (i * (n - 1)) / (out - 1) : 0), n - 1);
  const src = coordinates === 'half_pixel' ? ((i + 0.5) * n) / out : (i * n) / out;
  return Math.min(Math.floor(src), n - 1);
}
