// await quantize(model, { calibration }) → a QuantizedModel; loadQuantizedModel(source) reads one back (simdnet/quantize).
// Post-training, static: weights int8 symmetric per output channel, activations 7-bit asymmetric with
// ranges from a calibration batch. docs/ARCHITECTURE.md ("Quantized inference") has the whole scheme.
import { Tensor, Sequential, LayersModel } from '../index.js';
import type { ModelArtifacts, LoadHandler } from '../index.js';
import { describeValue } from '../describe.js';
import { checkBatchSize, fetchArtifacts, filePathOf, getLoss, modelFromTopology, readArtifactsFromDir } from './main.js';
import { calibrate } from './calibrate.js';
import { QuantizedProgram, foldedBatchNorms, kernelMatrixShape, takesInt8Weights, type QuantizationSpec } from './plan.js';
import { foldWeights } from './fold.js';
import { QuantizedModel } from './quantized-model.js';
import { readQuantizedArtifacts, topologyOfModel } from './format.js';
import { activationParams, quantizeWeights } from './scheme.js';
import { wiringOf } from './wiring.js';
import { loadInt8Kernels } from './int8-module.js';

export interface QuantizeArgs {
  /** Sample inputs (N, ...) whose activations set the ranges: a few hundred training images are plenty. */
  calibration: Tensor;
  /** One weight scale per output channel (default) or one per layer. */
  perChannel?: boolean;
  /**
   * Activation ranges from percentiles instead of min/max: 99.99 takes the 0.01th and 99.99th percentiles,
   * clipping outliers. Default: min/max.
   */
  percentile?: number;
  /** Layers to keep in float (by name). */
  skip?: string[];
  /** The loss evaluate() reports; default the float model's (from compile). */
  loss?: string;
  /** Batch size of the calibration pass (default 64). */
  batchSize?: number;
}

/** The float model's structure, weights copied: the quantized model owns its own layers. */
function cloneModel(model: Sequential | LayersModel): Sequential | LayersModel {
  const clone = modelFromTopology(topologyOfModel(model));
  try {
    const weights = model.getWeights();
    try {
      clone.setWeights(weights);
    } finally {
      for (const w of weights) w.dispose();
    }
  } catch (e) {
    clone.dispose();
    throw e;
  }
  return clone;
}

/** Frees what inference never reads: gradients, and the float kernels of int8 layers. */
function dropTrainingState(model: Sequential | LayersModel, spec: QuantizationSpec): void {
  for (const layer of model.layers) {
    for (const p of layer.params) {
      p.grad?.dispose();
      if (p.name === 'kernel' && spec.weights.has(layer.name)) p.value.dispose();
    }
  }
}

function finish(model: Sequential | LayersModel, spec: QuantizationSpec, loss: string | null): QuantizedModel {
  let program: QuantizedProgram;
  let wiring: ReturnType<typeof wiringOf>;
  try {
    wiring = wiringOf(model, 'quantize');
    program = QuantizedProgram.build(wiring, spec);
    dropTrainingState(model, spec);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return new QuantizedModel(model, program, spec, loss, wiring);
}

/**
 * Post-training int8 quantization of a built model with one input and one output: Sequential, or
 * functional (sn.model, with branches and merges). Conv2D and Dense layers run int8 kernels, max pooling
 * runs on bytes, other layers (merges included) run in float between dequantize/quantize steps. The float
 * model is not changed; the quantized one owns copies (dispose it when done).
 *
 * Asynchronous because the first call loads the int8 kernels (a wasm module of this entry) onto the engine;
 * the work itself runs synchronously once they are there.
 */
export async function quantize(model: Sequential | LayersModel, args: QuantizeArgs): Promise<QuantizedModel> {
  await loadInt8Kernels();
  if (!(model instanceof Sequential) && !(model instanceof LayersModel)) {
    throw new Error(`simdnet quantize: expects a model (sn.sequential or sn.model), got ${describeValue(model)}`);
  }
  if (!args || typeof args !== 'object') throw new Error(`simdnet quantize: expects options { calibration }, got ${describeValue(args)}`);
  const x = args.calibration;
  if (!(x instanceof Tensor) || x.isDisposed) throw new Error(`simdnet quantize: calibration must be a live Tensor of sample inputs, got ${describeValue(x)}`);
  model.inputList(x, 'quantize (calibration)');
  const p = args.percentile;
  if (p !== undefined && !(typeof p === 'number' && p > 50 && p <= 100)) {
    throw new Error(`simdnet quantize: percentile must be a number in (50, 100], got ${describeValue(p)}`);
  }
  const skip = new Set(args.skip ?? []);
  for (const name of skip) {
    if (!model.layers.some((l) => l.name === name)) throw new Error(`simdnet quantize: skip names '${name}', which is not a layer of ${model.name}`);
  }
  const loss = args.loss ?? model.loss?.name ?? null;
  if (loss !== null) getLoss(loss);
  const batchSize = checkBatchSize(args.batchSize ?? 64, 'quantize');
  const perChannel = args.perChannel ?? true;

  const clone = cloneModel(model);
  let spec: QuantizationSpec;
  try {
    // BatchNormalizations that fold into the int8 layer after them go into its float weights first (fold.ts).
    const wiring = wiringOf(clone, 'quantize');
    const folds = foldedBatchNorms(wiring, (l) => !skip.has(l.name));
    foldWeights(folds);
    const ranges = calibrate(wiring, x, batchSize, p ?? null, new Set(folds.keys()));
    const weights: QuantizationSpec['weights'] = new Map();
    for (const layer of clone.layers) {
      if (!takesInt8Weights(layer) || skip.has(layer.name)) continue;
      const [k, n] = kernelMatrixShape(layer);
      weights.set(layer.name, quantizeWeights(layer.params.find((q) => q.name === 'kernel')!.value.dataSync(), k, n, perChannel));
    }
    spec = { perChannel, tensors: ranges.map((r) => activationParams(r.min, r.max)), weights };
  } catch (e) {
    clone.dispose();
    throw e;
  }
  return finish(clone, spec, loss);
}

/** A model saved by QuantizedModel.save: artifacts, a 'file://' path (Node), a model.json URL or a handler. */
export async function loadQuantizedModel(source: ModelArtifacts | LoadHandler | string): Promise<QuantizedModel> {
  let a: ModelArtifacts;
  if (typeof source === 'string') {
    // As sn.loadModel: in Node a file path or file: URL, else a model.json URL.
    const isNode = typeof process === 'object' && typeof process.versions === 'object' && !!process.versions.node;
    const path = isNode ? await filePathOf(source) : null;
    a = path !== null ? await readArtifactsFromDir(path) : await fetchArtifacts(source);
  } else if (source && typeof (source as LoadHandler).load === 'function') a = await (source as LoadHandler).load();
  else a = source as ModelArtifacts;
  if (!a || typeof a !== 'object') throw new Error(`simdnet: loadQuantizedModel expects artifacts, a URL or a handler, got ${describeValue(source)}`);
  await loadInt8Kernels();
  const { model, spec, loss } = readQuantizedArtifacts(a);
  return finish(model, spec, loss);
}
