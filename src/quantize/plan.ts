// The quantized model's program: one step per layer of the float model, in order. Conv2D and Dense run the
// int8 kernels; max pooling runs on bytes when its input is quantized; Flatten and Dropout pass their
// input through; every other layer runs in float, with dequantize/quantize steps inserted where the
// domain changes. The plan is built from the layers and a QuantizationSpec — the same function for
// quantize and for loading a saved quantized model, so both compute the same bytes.
import { Tensor } from '../index.js';
import type { Arena, Layer, Padding, ActivationName, ops } from '../index.js';
import { applyActivation, windowAxis } from './main.js';
import { QTensor, type QuantParams } from './int8-tensor.js';
import { Int8Plan, WINOGRAD_MAX_C, int8Conv2d, int8Dense, type Int8Output } from './int8-gemm.js';
import { quantize, dequantize, int8MaxPool2d } from './int8-quantize.js';

type Conv2dGeometry = ops.Conv2dGeometry;
type Pool2dGeometry = ops.Pool2dGeometry;
import { ACTIVATION_MAX, fixedPointMultipliers, int32Bias } from './scheme.js';
import { floatForward } from './float-layer.js';

export type Value = Tensor | QTensor;

/** What fixes a quantized model besides its float layers. */
export interface QuantizationSpec {
  perChannel: boolean;
  /** Activation parameters: [0] the model input, [i+1] the output of layer i; null where not calibrated. */
  tensors: (QuantParams | null)[];
  /** int8 kernels (K×N, K = kh·kw·c or input units) and their per-output-channel scales, by layer name. */
  weights: Map<string, { q: Int8Array; scales: Float32Array }>;
}

/** How a layer runs in the quantized model, as summary() reports it. */
export type StepKind = 'int8' | 'fp32' | 'pass';

interface Step {
  readonly layer: Layer;
  readonly kind: StepKind;
  run(x: Value, arena: Arena): Value;
  dispose(): void;
}

/** Conv2D/Dense as their public fields describe them (no change to the layer classes). */
interface ConvLike {
  className: string;
  kernelSize?: [number, number];
  strides?: [number, number];
  padding?: Padding;
  dilationRate?: [number, number];
  activation: ActivationName;
  useBias: boolean;
  filters?: number;
  units?: number;
}

interface PoolLike {
  className: string;
  poolSize: [number, number];
  strides: [number, number];
  padding: Padding;
}

const INT8_LAYERS = new Set(['Conv2D', 'Dense']);
const PASS_LAYERS = new Set(['Flatten', 'Dropout']);
const MAX_POOLS = new Set(['MaxPooling2D', 'MaxPooling1D']);
/** Activations a requantized u8 output can carry: a clamp of the integer result. */
const CLAMP_ACTIVATIONS = new Set<ActivationName>(['linear', 'relu', 'relu6']);

/**
 * Input channels below which a conv layer runs the direct int8 kernel (assembly/int8-direct.ts) instead of
 * the im2col GEMM: a first layer on 1–7 channels has a short K (MNIST's 3x3x1: 9) that the GEMM would pad
 * to 16 and repack; the direct kernel pads it to 10 (dot16) or 12 (dot8) and fuses a 2x2 max pooling.
 */
export const MIN_GEMM_CONV_CHANNELS = 8;

/**
 * Input channels from which a 3x3 stride-1 conv runs by Winograd (assembly/int8-winograd.ts): its products
 * pad the channels to 16, so below 8 the direct GEMM's K = 9·C (padded once) wastes less.
 */
export const MIN_WINOGRAD_CHANNELS = 8;

/** Layers quantize gives int8 weights. */
export function takesInt8Weights(layer: Layer): boolean {
  if (!INT8_LAYERS.has(layer.className)) return false;
  // A conv layer needs images (N,H,W,C); a dense layer any input with features.
  if (layer.className === 'Dense') return true;
  return layer.inputShape?.length === 3;
}

/** K (rows of the kernel seen as K×N) and N. */
export function kernelMatrixShape(layer: Layer): [number, number] {
  const w = layer.params.find((p) => p.name === 'kernel')!.value;
  const n = w.shape[w.shape.length - 1];
  return [w.size / n, n];
}

function convGeometry(layer: ConvLike, inputShape: number[]): Conv2dGeometry {
  const [kh, kw] = layer.kernelSize!;
  const h = windowAxis(inputShape[0], kh, layer.strides![0], layer.padding!, layer.dilationRate![0]);
  const w = windowAxis(inputShape[1], kw, layer.strides![1], layer.padding!, layer.dilationRate![1]);
  return {
    strideH: layer.strides![0], strideW: layer.strides![1], padTop: h.before, padBottom: h.after,
    padLeft: w.before, padRight: w.after, dilationH: layer.dilationRate![0], dilationW: layer.dilationRate![1],
  };
}

function poolGeometry(layer: PoolLike, h: number, w: number): Pool2dGeometry {
  const a = windowAxis(h, layer.poolSize[0], layer.strides[0], layer.padding);
  const b = windowAxis(w, layer.poolSize[1], layer.strides[1], layer.padding);
  return {
    poolH: layer.poolSize[0], poolW: layer.poolSize[1], strideH: layer.strides[0], strideW: layer.strides[1],
    padTop: a.before, padBottom: a.after, padLeft: b.before, padRight: b.after,
  };
}

/** The u8 output stage of an int8 layer: multipliers sIn·sW/sOut and the activation as a clamp. */
function u8Output(inQ: QuantParams, scales: Float32Array, outQ: QuantParams, activation: ActivationName): Int8Output {
  const real = Float64Array.from(scales, (s) => (inQ.scale * s) / outQ.scale);
  const { m0, shift } = fixedPointMultipliers(real);
  let qmin = 0;
  let qmax = ACTIVATION_MAX;
  if (activation === 'relu' || activation === 'relu6') qmin = outQ.zero;
  if (activation === 'relu6') qmax = Math.min(ACTIVATION_MAX, outQ.zero + Math.round(6 / outQ.scale));
  return { kind: 'u8', m0, shift, zero: outQ.zero, qmin, qmax };
}

class Int8Step implements Step {
  readonly kind = 'int8';
  /** Set when the 2x2 max pooling after this conv runs inside its kernel (fusePool): that pool's layer. */
  pooled: Layer | null = null;
  constructor(
    readonly layer: Layer,
    private readonly plan: Int8Plan,
    readonly outQ: QuantParams | null,
    private readonly conv: { kh: number; kw: number; g: Conv2dGeometry } | null,
    private readonly after: ActivationName,
  ) {}

  /**
   * Whether the pooling layer `pool` (next after this one) can run inside this conv's kernel: u8 output,
   * Winograd or direct, 2x2 windows at stride 2 without padding (or 'same' on even sizes: the same windows).
   */
  canFuse(pool: Layer): boolean {
    const p = pool as unknown as PoolLike;
    const out = this.layer.outputShape!;
    const even = out[0] % 2 === 0 && out[1] % 2 === 0;
    const fuses = this.plan.winogradChannels !== null || this.plan.direct;
    return !!this.outQ && !!this.conv && fuses && pool.className === 'MaxPooling2D' &&
      p.poolSize[0] === 2 && p.poolSize[1] === 2 && p.strides[0] === 2 && p.strides[1] === 2 && (p.padding === 'valid' || even);
  }

  run(x: Value, arena: Arena): Value {
    const xq = x as QTensor;
    const shape = [xq.shape[0], ...(this.pooled ?? this.layer).outputShape!];
    const y: Value = this.outQ ? QTensor.empty(shape, this.outQ, arena) : Tensor.empty(shape, arena);
    if (this.conv) int8Conv2d(xq, this.plan, y, this.conv.kh, this.conv.kw, this.conv.g, !!this.pooled);
    else int8Dense(xq, this.plan, y);
    return y instanceof Tensor ? applyActivation(y, this.after, arena) : y;
  }

  dispose(): void {
    this.plan.dispose();
  }
}

class MaxPoolStep implements Step {
  readonly kind = 'int8';
  constructor(
    readonly layer: Layer,
    private readonly g: Pool2dGeometry,
  ) {}

  run(x: Value, arena: Arena): Value {
    const xq = x as QTensor;
    const n = xq.shape[0];
    const is1d = this.layer.className === 'MaxPooling1D';
    const inS = this.layer.inputShape!;
    const outS = this.layer.outputShape!;
    const y = QTensor.empty([n, ...outS], xq.q, arena);
    const as4 = (t: QTensor, s: number[]) => (is1d ? t.reshape([n, 1, ...s]) : t);
    int8MaxPool2d(as4(xq, inS), as4(y, outS), this.g);
    return y;
  }

  dispose(): void {}
}

/** A max pooling that runs inside the int8 conv before it (Int8Step.pooled): its input is already pooled. */
class FusedPoolStep implements Step {
  readonly kind = 'int8';
  constructor(readonly layer: Layer) {}

  run(x: Value): Value {
    return x;
  }

  dispose(): void {}
}

class PassStep implements Step {
  readonly kind = 'pass';
  constructor(readonly layer: Layer) {}

  run(x: Value): Value {
    const shape = [x.shape[0], ...this.layer.outputShape!];
    return x instanceof QTensor ? x.reshape(shape) : x.reshapeView(shape);
  }

  dispose(): void {}
}

class FloatStep implements Step {
  readonly kind = 'fp32';
  constructor(readonly layer: Layer) {}

  run(x: Value, arena: Arena): Value {
    return floatForward(this.layer, x as Tensor, arena);
  }

  dispose(): void {}
}

/** A conversion between domains, not a layer of its own: runs before the step it belongs to. */
function toQuantized(x: Value, q: QuantParams, arena: Arena): QTensor {
  if (x instanceof QTensor) return x;
  const y = QTensor.empty(x.shape, q, arena);
  quantize(x, y);
  return y;
}

function toFloat(x: Value, arena: Arena): Tensor {
  if (x instanceof Tensor) return x;
  const y = Tensor.empty(x.shape, arena);
  dequantize(x, y);
  return y;
}

export class QuantizedProgram {
  private constructor(
    private readonly steps: Step[],
    /** Per step: the parameters to quantize its input with (int8 steps on a float input), else null. */
    private readonly inputQ: (QuantParams | null)[],
  ) {}

  /** Builds the steps for `layers` (built, with weights) from `spec`. Frees what it made if it throws. */
  static build(layers: Layer[], spec: QuantizationSpec): QuantizedProgram {
    const steps: Step[] = [];
    const inputQ: (QuantParams | null)[] = [];
    try {
      let current: QuantParams | null = null; // the parameters of the value entering layer i; null: float
      layers.forEach((layer, i) => {
        const wq = spec.weights.get(layer.name);
        if (wq && takesInt8Weights(layer)) {
          const inQ = current ?? spec.tensors[i];
          if (!inQ) throw new Error(`simdnet quantize: no activation range for the input of ${layer.name}`);
          const step = int8Step(layers, i, wq, inQ, spec);
          steps.push(step);
          inputQ.push(current ? null : inQ);
          current = step.outQ;
        } else if (prevStep(steps) instanceof Int8Step && (prevStep(steps) as Int8Step).canFuse(layer)) {
          // The pooling keeps its input's parameters (max commutes with the monotonic output stage).
          (prevStep(steps) as Int8Step).pooled = layer;
          steps.push(new FusedPoolStep(layer));
          inputQ.push(null);
        } else if (MAX_POOLS.has(layer.className) && (current || feedsInt8(layers, i, spec))) {
          // A float value that an int8 layer will read after this pool is quantized before it: pooling
          // bytes is cheaper than pooling floats, and max commutes with the (monotonic) quantization.
          if (!current) {
            current = spec.tensors[i];
            if (!current) throw new Error(`simdnet quantize: no activation range for the input of ${layer.name}`);
            inputQ.push(current);
          } else inputQ.push(null);
          const s = layer.inputShape!;
          const is1d = layer.className === 'MaxPooling1D';
          steps.push(new MaxPoolStep(layer, poolGeometry(layer as unknown as PoolLike, is1d ? 1 : s[0], is1d ? s[0] : s[1])));
        } else if (PASS_LAYERS.has(layer.className)) {
          steps.push(new PassStep(layer));
          inputQ.push(null);
        } else {
          steps.push(new FloatStep(layer));
          inputQ.push(null);
          current = null;
        }
      });
    } catch (e) {
      for (const s of steps) s.dispose();
      throw e;
    }
    return new QuantizedProgram(steps, inputQ);
  }

  /** Runs a batch: x (N, ...) float in, float out (arena tensors). */
  run(x: Tensor, arena: Arena): Tensor {
    let h: Value = x;
    this.steps.forEach((step, i) => {
      const q = this.inputQ[i];
      if (q) h = toQuantized(h, q, arena);
      else if (step.kind === 'fp32') h = toFloat(h, arena);
      h = step.run(h, arena);
    });
    return toFloat(h, arena);
  }

  /** How each layer runs, in order. */
  kinds(): { layer: Layer; kind: StepKind }[] {
    return this.steps.map((s) => ({ layer: s.layer, kind: s.kind }));
  }

  dispose(): void {
    for (const s of this.steps) s.dispose();
  }
}

const prevStep = (steps: Step[]): Step | undefined => steps[steps.length - 1];

/** Whether the next layer after i that computes (past Flatten, Dropout and max pooling) runs int8. */
function feedsInt8(layers: Layer[], i: number, spec: QuantizationSpec): boolean {
  for (let j = i + 1; j < layers.length; j++) {
    const l = layers[j];
    if (PASS_LAYERS.has(l.className) || MAX_POOLS.has(l.className)) continue;
    return spec.weights.has(l.name) && takesInt8Weights(l);
  }
  return false;
}

/** Whether layer i's int8 output should stay quantized (u8): its activation is a clamp, and an int8 layer reads it. */
function keepsQuantized(layers: Layer[], i: number, spec: QuantizationSpec): boolean {
  const activation = (layers[i] as unknown as ConvLike).activation;
  return CLAMP_ACTIVATIONS.has(activation) && !!spec.tensors[i + 1] && feedsInt8(layers, i, spec);
}

function int8Step(all: Layer[], i: number, wq: { q: Int8Array; scales: Float32Array }, inQ: QuantParams, spec: QuantizationSpec): Int8Step {
  const layer = all[i];
  const c = layer as unknown as ConvLike;
  const [k, n] = kernelMatrixShape(layer);
  if (wq.q.length !== k * n || wq.scales.length !== n) {
    throw new Error(`simdnet quantize: ${layer.name}: int8 kernel of ${wq.q.length} values and ${wq.scales.length} scales does not fit K=${k} × N=${n}`);
  }
  const biasParam = c.useBias ? layer.params.find((p) => p.name === 'bias') : undefined;
  const bias = int32Bias(biasParam ? biasParam.value.dataSync() : null, wq.q, k, n, inQ, wq.scales);
  const keep = keepsQuantized(all, i, spec);
  const outQ = keep ? spec.tensors[i + 1]! : null;
  const output: Int8Output = outQ
    ? u8Output(inQ, wq.scales, outQ, c.activation)
    : { kind: 'f32', scales: Float32Array.from(wq.scales, (s) => inQ.scale * s) };
  const conv = layer.className === 'Conv2D'
    ? { kh: c.kernelSize![0], kw: c.kernelSize![1], g: convGeometry(c, layer.inputShape!) }
    : null;
  // 3x3 stride-1 convs on enough channels run by Winograd: the same integers with 2.25x fewer products.
  const channels = layer.inputShape![layer.inputShape!.length - 1];
  const g = conv?.g;
  const winograd = conv && conv.kh === 3 && conv.kw === 3 && g!.strideH === 1 && g!.strideW === 1 && g!.dilationH === 1 &&
    g!.dilationW === 1 && channels >= MIN_WINOGRAD_CHANNELS && channels <= WINOGRAD_MAX_C;
  const direct = !!conv && channels < MIN_GEMM_CONV_CHANNELS;
  const plan = Int8Plan.create(wq.q, k, n, bias, output, undefined, winograd ? channels : null, direct);
  return new Int8Step(layer, plan, outQ, conv, outQ ? 'linear' : c.activation);
}
