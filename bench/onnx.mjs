// Writes a benchmark model as an ONNX graph (opset 13) with the same weights as every other library.
// The protobuf wire format is small enough to write by hand (varints and length-prefixed fields), which
// keeps this file dependency-free and usable in the browser too.
//
// Layout conversions (stated in the README):
// - Input: the NHWC images are passed unchanged with the shape [N, 1, 28, 28]. With one channel, NHWC and
//   NCHW are the same bytes, so no Transpose node and no copy are needed.
// - Conv kernels: Keras [kh, kw, c, f] → ONNX OIHW [f, c, kh, kw].
// - The first Dense after Flatten: ONNX flattens NCHW (c, h, w order) while Keras flattens NHWC (h, w, c);
//   the rows of that dense kernel are permuted once so that both compute the same function.
import { describe } from './models.mjs';

const FLOAT = 1;
const ATTR_INT = 2, ATTR_INTS = 7;

class Writer {
  constructor() { this.bytes = []; }
  varint(v) {
    // Non-negative values only (all this file writes); BigInt keeps int64 fields exact.
    let b = BigInt(v);
    do {
      let byte = Number(b & 0x7fn);
      b >>= 7n;
      if (b) byte |= 0x80;
      this.bytes.push(byte);
    } while (b);
    return this;
  }
  key(field, wire) { return this.varint((field << 3) | wire); }
  int(field, v) { return this.key(field, 0).varint(v); }
  raw(field, u8) { this.key(field, 2).varint(u8.length); for (const b of u8) this.bytes.push(b); return this; }
  str(field, s) { return this.raw(field, new TextEncoder().encode(s)); }
  msg(field, w) { return this.raw(field, w.finish()); }
  finish() { return Uint8Array.from(this.bytes); }
}

function tensorProto(name, dims, f32) {
  const w = new Writer();
  for (const d of dims) w.int(1, d);
  w.int(2, FLOAT).str(8, name);
  return w.raw(9, new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength)); // raw_data, little-endian
}

function attrInts(name, values) {
  const w = new Writer().str(1, name);
  for (const v of values) w.int(8, v);
  return w.int(20, ATTR_INTS);
}
function attrInt(name, v) { return new Writer().str(1, name).int(3, v).int(20, ATTR_INT); }

function node(op, inputs, outputs, attrs = []) {
  const w = new Writer();
  for (const i of inputs) w.str(1, i);
  for (const o of outputs) w.str(2, o);
  w.str(3, `${op}_${outputs[0]}`).str(4, op);
  for (const a of attrs) w.msg(5, a);
  return w;
}

function valueInfo(name, dims) {
  const shape = new Writer();
  for (const d of dims) shape.msg(1, typeof d === 'string' ? new Writer().str(2, d) : new Writer().int(1, d));
  const tensorType = new Writer().int(1, FLOAT).msg(2, shape);
  return new Writer().str(1, name).msg(2, new Writer().msg(1, tensorType));
}

/** OIHW from Keras [kh, kw, c, f]. */
function convKernelOIHW(data, [kh, kw, c, f]) {
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let ci = 0; ci < c; ci++) for (let fo = 0; fo < f; fo++) {
    out[((fo * c + ci) * kh + y) * kw + x] = data[((y * kw + x) * c + ci) * f + fo];
  }
  return out;
}

/** Rows of a dense kernel [h*w*c, units] reordered from HWC to CHW flatten order. */
function denseRowsToCHW(data, [h, w, c], units) {
  const out = new Float32Array(data.length);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ci = 0; ci < c; ci++) {
    const from = (y * w + x) * c + ci, to = (ci * h + y) * w + x;
    out.set(data.subarray(from * units, (from + 1) * units), to * units);
  }
  return out;
}

/** Serialized ONNX ModelProto for `spec` with `weights` (Keras order and layouts). Input 'x', output 'y'. */
export function buildOnnxModel(spec, weights) {
  const desc = describe(spec);
  const graph = new Writer();
  const nodes = [], inits = [];
  let cur = 'x', wi = 0, prevShape = null, n = 0;
  for (const l of desc.layers) {
    const id = `${l.type}${n++}`;
    if (l.type === 'conv2d') {
      const k = weights[wi++], b = weights[wi++];
      inits.push(tensorProto(`${id}_W`, [k.shape[3], k.shape[2], k.shape[0], k.shape[1]], convKernelOIHW(k.data, k.shape)));
      inits.push(tensorProto(`${id}_B`, b.shape, b.data));
      const [pt, pb, pl, pr] = l.pads;
      nodes.push(node('Conv', [cur, `${id}_W`, `${id}_B`], [id], [attrInts('kernel_shape', [l.kernel, l.kernel]), attrInts('pads', [pt, pl, pb, pr])]));
      cur = id;
      if (l.activation === 'relu') { nodes.push(node('Relu', [cur], [`${id}_relu`])); cur = `${id}_relu`; }
    } else if (l.type === 'maxPool') {
      nodes.push(node('MaxPool', [cur], [id], [attrInts('kernel_shape', [l.pool, l.pool]), attrInts('strides', [l.pool, l.pool])]));
      cur = id;
    } else if (l.type === 'flatten') {
      nodes.push(node('Flatten', [cur], [id], [attrInt('axis', 1)]));
      cur = id;
    } else if (l.type === 'dense') {
      const k = weights[wi++], b = weights[wi++];
      const data = prevShape && prevShape.length === 3 ? denseRowsToCHW(k.data, prevShape, l.units) : k.data;
      inits.push(tensorProto(`${id}_W`, k.shape, data), tensorProto(`${id}_B`, b.shape, b.data));
      nodes.push(node('Gemm', [cur, `${id}_W`, `${id}_B`], [id]));
      cur = id;
      if (l.activation === 'relu') { nodes.push(node('Relu', [cur], [`${id}_relu`])); cur = `${id}_relu`; }
      if (l.activation === 'softmax') { nodes.push(node('Softmax', [cur], ['y'], [attrInt('axis', 1)])); cur = 'y'; }
    }
    prevShape = l.type === 'flatten' ? l.inShape : l.outShape;
  }
  if (cur !== 'y') nodes.push(node('Identity', [cur], ['y']));
  for (const nd of nodes) graph.msg(1, nd);
  graph.str(2, spec.id);
  for (const t of inits) graph.msg(5, t);
  const [h, w, c] = spec.input;
  graph.msg(11, valueInfo('x', ['N', c, h, w]));
  graph.msg(12, valueInfo('y', ['N', desc.outShape[0]]));
  const opset = new Writer().str(1, '').int(2, 13);
  return new Writer().int(1, 8).str(2, 'simdnet-bench').msg(8, opset).msg(7, graph).finish();
}
