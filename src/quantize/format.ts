// simdnet's quantized model format: TF.js layers-model artifacts (model.json + weights.bin) with two
// extensions that only simdnet reads (docs/ARCHITECTURE.md, "Quantized model format"):
//   - modelTopology.simdnet_quantization: { format: 'simdnet-int8', version: 1, per_channel, activation_bits,
//     activations: [{ scale, zero_point } | null, ...] (model input, then each call's output: wiring.ts), int8_layers, loss }
//   - the kernel of each int8 layer is a weight of dtype 'int8' (one byte per value, Keras layout) with
//     quantization { dtype: 'int8', scheme: 'symmetric', axis: -1, scales: [one per output channel] }.
// Everything else (biases, float layers' weights) is float32 as in any layers model. TF.js refuses the
// 'int8' dtype, so a quantized model cannot be mistaken for a float one there; sn.loadModel refuses it too
// and points to loadQuantizedModel.
import type { LayersModel, ModelArtifacts, Sequential, WeightSpec } from '../index.js';
import { GENERATED_BY, concatBuffers, modelFromTopology } from './main.js';
import type { QuantParams } from './int8-tensor.js';
import type { QuantizationSpec } from './plan.js';
import { wiringOf } from './wiring.js';

export const QUANTIZATION_KEY = 'simdnet_quantization';
const FORMAT = 'simdnet-int8';

interface QuantizationJson {
  format: string;
  version: number;
  note?: string;
  per_channel: boolean;
  activation_bits: number;
  activations: ({ scale: number; zero_point: number } | null)[];
  int8_layers: string[];
  loss: string | null;
}

/** Whether artifacts were written by QuantizedModel.save. */
export function isQuantizedArtifacts(a: ModelArtifacts | null | undefined): boolean {
  const t = a?.modelTopology as Record<string, unknown> | null | undefined;
  return !!t && typeof t === 'object' && QUANTIZATION_KEY in t;
}

/**
 * A model's topology as its save() writes it (Sequential or functional). Model.topology is protected:
 * this entry is simdnet's own code, reading it as save does.
 */
export function topologyOfModel(model: Sequential | LayersModel): unknown {
  const m = model as unknown as { graphFor(what: string): unknown; topology(graph: unknown, skipAugmentation: boolean): unknown };
  return m.topology(m.graphFor('quantize'), false);
}

export function quantizedArtifacts(model: Sequential | LayersModel, spec: QuantizationSpec, loss: string | null): ModelArtifacts {
  const specs: WeightSpec[] = [];
  const parts: Uint8Array[] = [];
  for (const layer of model.layers) {
    const int8 = spec.weights.get(layer.name);
    for (const p of layer.orderedParams()) {
      const wname = `${layer.name}/${p.name}`;
      if (int8 && p.name === 'kernel') {
        specs.push({
          name: wname, shape: [...p.value.shape], dtype: 'int8',
          quantization: { dtype: 'int8', scheme: 'symmetric', axis: -1, scales: Array.from(int8.scales) },
        });
        parts.push(new Uint8Array(int8.q.buffer, int8.q.byteOffset, int8.q.byteLength).slice());
      } else {
        specs.push({ name: wname, shape: [...p.value.shape], dtype: 'float32' });
        parts.push(new Uint8Array(p.value.dataSync().buffer));
      }
    }
  }
  const meta: QuantizationJson = {
    format: FORMAT,
    version: 1,
    note: 'Quantized by simdnet (simdnet/quantize). Only simdnet loads this model: loadQuantizedModel from simdnet/quantize.',
    per_channel: spec.perChannel,
    activation_bits: 7,
    activations: spec.tensors.map((q) => (q ? { scale: q.scale, zero_point: q.zero } : null)),
    int8_layers: [...spec.weights.keys()],
    loss,
  };
  return {
    modelTopology: { ...(topologyOfModel(model) as Record<string, unknown>), [QUANTIZATION_KEY]: meta },
    format: 'layers-model',
    generatedBy: GENERATED_BY,
    convertedBy: null,
    weightSpecs: specs,
    weightData: concatBuffers(parts.length ? parts : [new Uint8Array(0)]),
  };
}

const fail = (msg: string): never => {
  throw new Error(`simdnet: loadQuantizedModel: ${msg}`);
};

/**
 * The float model (layers built, float weights set; int8 layers' kernels left unset) and the quantization
 * spec from quantized artifacts. Every check runs before anything is returned; nothing leaks on a throw.
 */
export function readQuantizedArtifacts(a: ModelArtifacts): { model: Sequential | LayersModel; spec: QuantizationSpec; loss: string | null } {
  if (!isQuantizedArtifacts(a)) fail('these artifacts are not a quantized simdnet model (no simdnet_quantization in modelTopology): use sn.loadModel');
  const meta = (a.modelTopology as Record<string, unknown>)[QUANTIZATION_KEY] as QuantizationJson;
  if (meta?.format !== FORMAT || meta.version !== 1) fail(`unknown quantization format ${JSON.stringify(meta?.format)} version ${JSON.stringify(meta?.version)}`);
  if (meta.activation_bits !== 7) fail(`activation_bits ${meta.activation_bits} is not supported (7)`);
  const specs: WeightSpec[] = a.weightSpecs ?? (a.weightsManifest ?? []).flatMap((g) => g.weights);
  const data = new Uint8Array(a.weightData === undefined ? new ArrayBuffer(0) : concatBuffers(a.weightData));
  const model = modelFromTopology(a.modelTopology);
  const layers = model.layers;
  try {
    const slots = wiringOf(model, 'loadQuantizedModel').slots;
    if (!Array.isArray(meta.activations) || meta.activations.length !== slots) {
      fail(`activations has ${meta.activations?.length} entries but the model has ${slots} values (its input and each call's output)`);
    }
    const byName = new Map<string, { spec: WeightSpec; at: number; bytes: number }>();
    let at = 0;
    for (const s of specs) {
      const n = s.shape.reduce((m, d) => m * d, 1);
      const bytes = s.dtype === 'int8' ? n : s.dtype === 'float32' ? 4 * n : fail(`weight '${s.name}' has dtype '${s.dtype}' (int8 or float32 expected)`);
      byName.set(s.name, { spec: s, at, bytes });
      at += bytes;
    }
    if (at !== data.byteLength) fail(`the weight data has ${data.byteLength} bytes but the weight specs need ${at}`);
    const int8Names = new Set(meta.int8_layers);
    const weights: QuantizationSpec['weights'] = new Map();
    for (const layer of layers) {
      for (const p of layer.orderedParams()) {
        const wname = `${layer.name}/${p.name}`;
        const found = byName.get(wname) ?? fail(`weight '${wname}' is missing`);
        const shape = found.spec.shape;
        if (shape.length !== p.value.shape.length || shape.some((d, i) => d !== p.value.shape[i])) {
          fail(`weight '${wname}' has shape [${shape}] but the layer needs [${p.value.shape}]`);
        }
        const bytes = data.slice(found.at, found.at + found.bytes);
        if (int8Names.has(layer.name) && p.name === 'kernel') {
          const scales = (found.spec.quantization as { scales?: number[] } | undefined)?.scales;
          const n = shape[shape.length - 1];
          if (found.spec.dtype !== 'int8' || !Array.isArray(scales) || scales.length !== n) {
            fail(`weight '${wname}' should be int8 with ${n} scales`);
          }
          weights.set(layer.name, { q: new Int8Array(bytes.buffer), scales: Float32Array.from(scales!) });
        } else {
          if (found.spec.dtype !== 'float32') fail(`weight '${wname}' should be float32`);
          p.value.set(new Float32Array(bytes.buffer));
        }
      }
    }
    const tensors = meta.activations.map((q): QuantParams | null => {
      if (q === null) return null;
      if (!(q.scale > 0) || !Number.isInteger(q.zero_point) || q.zero_point < 0 || q.zero_point > 127) {
        fail(`activation parameters ${JSON.stringify(q)} are out of range (scale > 0, zero_point in 0..127)`);
      }
      return { scale: q.scale, zero: q.zero_point };
    });
    return { model, spec: { perChannel: !!meta.per_channel, tensors, weights }, loss: meta.loss ?? null };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
