// The quantized model's program: one step per call of the float model (src/quantize/wiring.ts: a chain or
// a graph with branches and merges), in run order, each reading and writing value slots. Conv2D and Dense
// run the int8 kernels; max pooling runs on bytes when its input is quantized or an int8 layer reads its
// output; Flatten and Dropout pass their input through; every other layer (merges such as Add and
// Concatenate included) runs in float. A slot holds its value in the domain its step writes (u8 or f32);
// a reader that needs the other domain gets a conversion, made once per slot and run (dequantize, or
// quantize with the slot's calibrated parameters). The plan is built from the wiring and a
// QuantizationSpec — the same function for quantize and for loading a saved quantized model, so both
// compute the same bytes.
import { Tensor } from '../index.js';
import type { Arena, Layer, Padding, ActivationName, ops } from '../index.js';
import { applyActivation, windowAxis } from './main.js';
import { QTensor, type QuantParams } from './int8-tensor.js';
import { Int8Plan, WINOGRAD4_MAX_C, WINOGRAD_MAX_C, winogradCosts, int8Conv2d, int8Dense, type Int8Output } from './int8-gemm.js';
import { quantize, dequantize, int8MaxPool2d } from './int8-quantize.js';

type Conv2dGeometry = ops.Conv2dGeometry;
type Pool2dGeometry = ops.Pool2dGeometry;
import { ACTIVATION_MAX, fixedPointMultipliers, int32Bias } from './scheme.js';
import { floatForward } from './float-layer.js';
import type { Call, Wiring } from './wiring.js';
import { batchNormFolds } from './fold.js';

export type Value = Tensor | QTensor;

/** What fixes a quantized model besides its float layers. */
export interface QuantizationSpec {
  perChannel: boolean;
  /** Activation parameters per value slot (wiring.ts): [0] the model input, then each call's output; null where not calibrated. */
  tensors: (QuantParams | null)[];
  /** int8 kernels (K×N, K = kh·kw·c or input units) and their per-output-channel scales, by layer name. */
  weights: Map<string, { q: Int8Array; scales: Float32Array }>;
}

/** How a layer runs in the quantized model, as summary() reports it ('folded': a BatchNormalization in the next layer, fold.ts). */
export type StepKind = 'int8' | 'fp32' | 'pass' | 'folded';

type Domain = 'u8' | 'f32';

interface Step {
  readonly layer: Layer;
  readonly kind: StepKind;
  run(xs: Value[], arena: Arena): Value;
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

/**
 * Whether an int8 Winograd conv with an OH×OW output gets F(4x4,3x3) filters (with F(2,3)'s for its
 * edges): where F(4,3), whole or inside F(2,3) edges, costs less than F(2,3) (winogradCosts) — MNIST's
 * 24x24, 10x10 (mixed) and 8x8 outputs.
 */
export function winograd4Saves(oh: number, ow: number): boolean {
  const c = winogradCosts(oh, ow);
  return Math.min(c.f4, c.mixed) < c.f2;
}

/** Layers quantize gives int8 weights (a conv on images, a dense layer). */
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
  /** Set when the 2x2 max pooling after this conv runs inside its kernel: that pool's call. */
  pooled: Call | null = null;
  constructor(
    readonly call: Call,
    private readonly plan: Int8Plan,
    readonly outQ: QuantParams | null,
    private readonly conv: { kh: number; kw: number; g: Conv2dGeometry } | null,
    private readonly after: ActivationName,
  ) {}

  get layer(): Layer {
    return this.call.layer;
  }

  /**
   * Whether the pooling call `pool` can run inside this conv's kernel: u8 output, Winograd or direct, 2x2
   * windows at stride 2 without padding (or 'same' on even sizes: the same windows).
   */
  canFuse(pool: Layer): boolean {
    const p = pool as unknown as PoolLike;
    const out = this.call.outShape;
    const even = out[0] % 2 === 0 && out[1] % 2 === 0;
    const fuses = this.plan.winogradChannels !== null || this.plan.direct;
    return !!this.outQ && !!this.conv && fuses && pool.className === 'MaxPooling2D' &&
      p.poolSize[0] === 2 && p.poolSize[1] === 2 && p.strides[0] === 2 && p.strides[1] === 2 && (p.padding === 'valid' || even);
  }

  run([x]: Value[], arena: Arena): Value {
    const xq = x as QTensor;
    const shape = [xq.shape[0], ...(this.pooled ?? this.call).outShape];
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
    private readonly call: Call,
    private readonly g: Pool2dGeometry,
  ) {}

  get layer(): Layer {
    return this.call.layer;
  }

  run([x]: Value[], arena: Arena): Value {
    const xq = x as QTensor;
    const n = xq.shape[0];
    const is1d = this.layer.className === 'MaxPooling1D';
    const inS = this.call.inShapes[0];
    const outS = this.call.outShape;
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

  run([x]: Value[]): Value {
    return x;
  }

  dispose(): void {}
}

class PassStep implements Step {
  readonly kind = 'pass';
  constructor(private readonly call: Call) {}

  get layer(): Layer {
    return this.call.layer;
  }

  run([x]: Value[]): Value {
    const shape = [x.shape[0], ...this.call.outShape];
    return x instanceof QTensor ? x.reshape(shape) : x.reshapeView(shape);
  }

  dispose(): void {}
}

/** A BatchNormalization folded into the int8 layer that reads it (fold.ts): its input goes on as it is. */
class FoldedStep implements Step {
  readonly kind = 'folded';
  constructor(
    readonly layer: Layer,
    readonly inSlot: number,
  ) {}

  run([x]: Value[]): Value {
    return x;
  }

  dispose(): void {}
}

class FloatStep implements Step {
  readonly kind = 'fp32';
  constructor(readonly layer: Layer) {}

  run(xs: Value[], arena: Arena): Value {
    return floatForward(this.layer, xs as Tensor[], arena);
  }

  dispose(): void {}
}

/** A step with where it reads and writes: the domain it needs each input in, and the slot of its output. */
interface Placed {
  readonly step: Step;
  readonly inSlots: number[];
  readonly needs: Domain[];
  readonly outSlot: number;
}

export class QuantizedProgram {
  private constructor(
    private readonly placed: Placed[],
    /** Per slot: the parameters of its u8 form (what it is written in, or quantized to on demand), or null. */
    private readonly slotQ: (QuantParams | null)[],
    private readonly outputSlot: number,
  ) {}

  /** Builds the steps for the calls of `wiring` (layers built, with weights) from `spec`. Frees what it made if it throws. */
  static build(wiring: Wiring, spec: QuantizationSpec): QuantizedProgram {
    const { calls } = wiring;
    if (spec.tensors.length !== wiring.slots) {
      throw new Error(`simdnet quantize: ${spec.tensors.length} activation parameters for ${wiring.slots} values (the input and each call's output)`);
    }
    const readersOf: Call[][] = Array.from({ length: wiring.slots }, () => []);
    for (const c of calls) for (const s of c.inSlots) readersOf[s].push(c);
    const int8Call = (c: Call): boolean => spec.weights.has(c.layer.name) && takesInt8Weights(c.layer) && c.inSlots.length === 1;
    const folded = new Set(foldedBatchNorms(wiring, (l) => spec.weights.has(l.name)).keys());
    // Whether an int8 layer reads slot s, directly or through views and max poolings.
    const feeds = new Map<number, boolean>();
    const feedsInt8 = (s: number): boolean => {
      let f = feeds.get(s);
      if (f === undefined) {
        f = readersOf[s].some((c) => int8Call(c) ||
          ((PASS_LAYERS.has(c.layer.className) || MAX_POOLS.has(c.layer.className) || folded.has(c)) && feedsInt8(c.outSlot)));
        feeds.set(s, f);
      }
      return f;
    };
    const domain: Domain[] = new Array(wiring.slots).fill('f32');
    const slotQ: (QuantParams | null)[] = new Array(wiring.slots).fill(null);
    const producer = new Map<number, Step>();
    const placed: Placed[] = [];
    // The u8 parameters of slot s, for a reader that needs it quantized: those it is written with, or its calibrated ones.
    const u8Of = (s: number, who: Layer): QuantParams => {
      slotQ[s] ??= spec.tensors[s];
      if (!slotQ[s]) throw new Error(`simdnet quantize: no activation range for the input of ${who.name}`);
      return slotQ[s]!;
    };
    try {
      for (const call of calls) {
        const { layer, inSlots, outSlot } = call;
        const [s0] = inSlots;
        // The step whose output this call reads, looking through folded BatchNormalizations (one reader each).
        let before = producer.get(s0);
        let from = s0;
        while (before instanceof FoldedStep && wiring.readers[from] === 1) {
          from = before.inSlot;
          before = producer.get(from);
        }
        let step: Step;
        let needs: Domain[];
        if (folded.has(call)) {
          step = new FoldedStep(layer, s0);
          needs = [domain[s0]];
          [domain[outSlot], slotQ[outSlot]] = [domain[s0], slotQ[s0]];
        } else if (int8Call(call)) {
          const inQ = u8Of(s0, layer);
          const outQ = keepsQuantized(call, spec, feedsInt8) ? spec.tensors[outSlot]! : null;
          step = int8Step(call, spec.weights.get(layer.name)!, inQ, outQ);
          needs = ['u8'];
          if (outQ) [domain[outSlot], slotQ[outSlot]] = ['u8', outQ];
        } else if (before instanceof Int8Step && !before.pooled && wiring.readers[s0] === 1 && wiring.readers[from] === 1 && before.canFuse(layer)) {
          // The pooling keeps its input's parameters (max commutes with the monotonic output stage).
          before.pooled = call;
          step = new FusedPoolStep(layer);
          needs = ['u8'];
          [domain[outSlot], slotQ[outSlot]] = ['u8', slotQ[s0]];
        } else if (MAX_POOLS.has(layer.className) && (domain[s0] === 'u8' || feedsInt8(outSlot))) {
          // Pooling bytes is cheaper than pooling floats, and max commutes with the (monotonic) quantization.
          const q = u8Of(s0, layer);
          const s = call.inShapes[0];
          const is1d = layer.className === 'MaxPooling1D';
          step = new MaxPoolStep(call, poolGeometry(layer as unknown as PoolLike, is1d ? 1 : s[0], is1d ? s[0] : s[1]));
          needs = ['u8'];
          [domain[outSlot], slotQ[outSlot]] = ['u8', q];
        } else if (PASS_LAYERS.has(layer.className)) {
          step = new PassStep(call);
          needs = [domain[s0]];
          [domain[outSlot], slotQ[outSlot]] = [domain[s0], domain[s0] === 'u8' ? slotQ[s0] : null];
        } else {
          step = new FloatStep(layer);
          needs = inSlots.map((): Domain => 'f32');
        }
        placed.push({ step, inSlots, needs, outSlot });
        producer.set(outSlot, step);
      }
    } catch (e) {
      for (const p of placed) p.step.dispose();
      throw e;
    }
    return new QuantizedProgram(placed, slotQ, wiring.outputSlot);
  }

  /** Runs a batch: x (N, ...) float in, float out (arena tensors). */
  run(x: Tensor, arena: Arena): Tensor {
    const f32: (Tensor | null)[] = new Array(this.slotQ.length).fill(null);
    const u8: (QTensor | null)[] = new Array(this.slotQ.length).fill(null);
    f32[0] = x;
    const get = (s: number, d: Domain): Value => {
      if (d === 'u8') {
        if (!u8[s]) {
          const y = QTensor.empty(f32[s]!.shape, this.slotQ[s]!, arena);
          quantize(f32[s]!, y);
          u8[s] = y;
        }
        return u8[s]!;
      }
      if (!f32[s]) {
        const y = Tensor.empty(u8[s]!.shape, arena);
        dequantize(u8[s]!, y);
        f32[s] = y;
      }
      return f32[s]!;
    };
    for (const { step, inSlots, needs, outSlot } of this.placed) {
      const y = step.run(inSlots.map((s, i) => get(s, needs[i])), arena);
      if (y instanceof QTensor) u8[outSlot] = y;
      else f32[outSlot] = y;
    }
    return get(this.outputSlot, 'f32') as Tensor;
  }

  /** How each call runs, in order. */
  kinds(): { layer: Layer; kind: StepKind }[] {
    return this.placed.map(({ step }) => ({ layer: step.layer, kind: step.kind }));
  }

  dispose(): void {
    for (const p of this.placed) p.step.dispose();
  }
}

/**
 * The BatchNormalization calls that fold into the int8 layer reading them (fold.ts), with that layer;
 * `int8` says which layers get int8 kernels. quantize and the program builder ask the same question.
 */
export function foldedBatchNorms(wiring: Wiring, int8: (layer: Layer) => boolean): Map<Call, Call> {
  const unpadded = (c: Call): boolean => {
    const g = convGeometry(c.layer as unknown as ConvLike, c.inShapes[0]);
    return g.padTop === 0 && g.padBottom === 0 && g.padLeft === 0 && g.padRight === 0;
  };
  return batchNormFolds(wiring, (c) => takesInt8Weights(c.layer) && int8(c.layer) && c.inSlots.length === 1, unpadded);
}

/** Whether a call's int8 output should stay quantized (u8): its activation is a clamp, and an int8 layer reads it. */
function keepsQuantized(call: Call, spec: QuantizationSpec, feedsInt8: (slot: number) => boolean): boolean {
  const activation = (call.layer as unknown as ConvLike).activation;
  return CLAMP_ACTIVATIONS.has(activation) && !!spec.tensors[call.outSlot] && feedsInt8(call.outSlot);
}

function int8Step(call: Call, wq: { q: Int8Array; scales: Float32Array }, inQ: QuantParams, outQ: QuantParams | null): Int8Step {
  const layer = call.layer;
  const c = layer as unknown as ConvLike;
  const [k, n] = kernelMatrixShape(layer);
  if (wq.q.length !== k * n || wq.scales.length !== n) {
    throw new Error(`simdnet quantize: ${layer.name}: int8 kernel of ${wq.q.length} values and ${wq.scales.length} scales does not fit K=${k} × N=${n}`);
  }
  const biasParam = c.useBias ? layer.params.find((p) => p.name === 'bias') : undefined;
  const bias = int32Bias(biasParam ? biasParam.value.dataSync() : null, wq.q, k, n, inQ, wq.scales);
  const output: Int8Output = outQ
    ? u8Output(inQ, wq.scales, outQ, c.activation)
    : { kind: 'f32', scales: Float32Array.from(wq.scales, (s) => inQ.scale * s) };
  const inShape = call.inShapes[0];
  const conv = layer.className === 'Conv2D'
    ? { kh: c.kernelSize![0], kw: c.kernelSize![1], g: convGeometry(c, inShape) }
    : null;
  // 3x3 stride-1 convs on enough channels run by Winograd: the same integers with 2.25x fewer products.
  const channels = inShape[inShape.length - 1];
  const g = conv?.g;
  const winograd = conv && conv.kh === 3 && conv.kw === 3 && g!.strideH === 1 && g!.strideW === 1 && g!.dilationH === 1 &&
    g!.dilationW === 1 && channels >= MIN_WINOGRAD_CHANNELS && channels <= WINOGRAD_MAX_C;
  const direct = !!conv && channels < MIN_GEMM_CONV_CHANNELS;
  const [oh, ow] = call.outShape;
  const tile = winograd && channels <= WINOGRAD4_MAX_C && winograd4Saves(oh, ow) ? 4 : 2;
  const plan = Int8Plan.create(wq.q, k, n, bias, output, undefined, winograd ? channels : null, direct, tile);
  return new Int8Step(call, plan, outQ, conv, outQ ? 'linear' : c.activation);
}
