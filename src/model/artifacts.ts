// The TensorFlow.js layers-model artifacts: topology JSON, weight specs and one weight buffer, plus the
// model.json form (weightsManifest with file paths) that files and URLs use.
import { describeValue } from '../describe.js';

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | string;
  quantization?: unknown;
}

export interface WeightsManifestGroup {
  paths: string[];
  weights: WeightSpec[];
}

/** What `model.save()` returns and `sn.loadModel()` takes (TF.js `ModelArtifacts`). */
export interface ModelArtifacts {
  modelTopology: unknown;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightSpecs?: WeightSpec[];
  weightData?: ArrayBuffer | ArrayBuffer[];
  trainingConfig?: unknown;
  /** The model.json form: weight specs grouped by file. */
  weightsManifest?: WeightsManifestGroup[];
}

/** The contents of model.json (TF.js `ModelJSON`). */
export interface ModelJson {
  modelTopology: unknown;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightsManifest: WeightsManifestGroup[];
  trainingConfig?: unknown;
}

export const GENERATED_BY = 'simdnet 0.1.0';

/** One ArrayBuffer from TF.js's `ArrayBuffer | ArrayBuffer[]` (or typed-array views of files). */
export function concatBuffers(parts: ArrayBuffer | ArrayBuffer[] | ArrayBufferView | ArrayBufferView[]): ArrayBuffer {
  const list = (Array.isArray(parts) ? parts : [parts]).map((p) =>
    ArrayBuffer.isView(p) ? new Uint8Array(p.buffer, p.byteOffset, p.byteLength) : new Uint8Array(p),
  );
  if (list.length === 1 && list[0].byteOffset === 0 && list[0].byteLength === list[0].buffer.byteLength) {
    return list[0].buffer as ArrayBuffer;
  }
  const total = list.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of list) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out.buffer;
}

/** The model.json object for artifacts whose weights go to one file at `weightsPath`. */
export function toModelJson(a: ModelArtifacts, weightsPath: string): ModelJson {
  const json: ModelJson = {
    modelTopology: a.modelTopology,
    format: a.format ?? 'layers-model',
    generatedBy: a.generatedBy ?? GENERATED_BY,
    convertedBy: a.convertedBy ?? null,
    weightsManifest: [{ paths: [weightsPath], weights: a.weightSpecs ?? [] }],
  };
  if (a.trainingConfig) json.trainingConfig = a.trainingConfig;
  return json;
}

/**
 * Checks the weightsManifest of a model.json before any file is read: groups of { paths: string[], weights: [] }.
 * `where` names the file or URL in the message.
 */
export function checkManifest(json: unknown, where: string): asserts json is ModelJson {
  const m = (json as ModelJson | null)?.weightsManifest;
  if (!json || typeof json !== 'object' || !Array.isArray(m)) throw new Error(`simdnet: loadModel: ${where} has no weightsManifest array`);
  m.forEach((group, i) => {
    if (!group || typeof group !== 'object' || !Array.isArray(group.paths) || !group.paths.every((p) => typeof p === 'string')) {
      throw new Error(`simdnet: loadModel: ${where}: weightsManifest[${i}] needs 'paths', an array of file names`);
    }
    if (!Array.isArray(group.weights)) throw new Error(`simdnet: loadModel: ${where}: weightsManifest[${i}] needs 'weights', an array of weight specs`);
  });
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/**
 * Splits the weight buffer by its specs into Float32Arrays. Throws naming the problem when a spec has an
 * unknown dtype or quantisation, or when the buffer is shorter or longer than the specs say.
 */
export function decodeWeights(specs: WeightSpec[], data: ArrayBuffer): Map<string, { spec: WeightSpec; values: Float32Array }> {
  let need = 0;
  const seen = new Set<string>();
  if (!Array.isArray(specs)) throw new Error(`simdnet: loadModel: weightSpecs must be an array, got ${describeValue(specs)}`);
  for (const s of specs) {
    if (!s || typeof s !== 'object' || typeof s.name !== 'string' || !Array.isArray(s.shape)) {
      throw new Error(`simdnet: loadModel: a weight spec is malformed (it needs a string name and a shape array): ${describeValue(s)}`);
    }
    if (!s.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new Error(`simdnet: loadModel: weight ${describeValue(s.name)} has shape [${s.shape.map(describeValue)}]; dimensions must be non-negative integers`);
    }
    if (seen.has(s.name)) throw new Error(`simdnet: loadModel: weight ${describeValue(s.name)} appears twice in the weight specs`);
    seen.add(s.name);
    if (s.quantization) throw new Error(`simdnet: loadModel: weight ${describeValue(s.name)} is quantized; simdnet loads only float32 weights`);
    const bytes = Object.prototype.hasOwnProperty.call(BYTES, s.dtype ?? 'float32') ? BYTES[s.dtype ?? 'float32'] : 0;
    if (!bytes) throw new Error(`simdnet: loadModel: weight ${describeValue(s.name)} has dtype ${describeValue(s.dtype)}; simdnet loads float32 weights`);
    need += s.shape.reduce((n, d) => n * d, 1) * bytes;
  }
  if (data.byteLength !== need) {
    throw new Error(
      `simdnet: loadModel: the weight data has ${data.byteLength} bytes but the weight specs need ${need} ` +
        `(${data.byteLength < need ? 'truncated' : 'corrupted'} artifact)`,
    );
  }
  const out = new Map<string, { spec: WeightSpec; values: Float32Array }>();
  let at = 0;
  for (const s of specs) {
    const n = s.shape.reduce((m, d) => m * d, 1);
    const dtype = s.dtype ?? 'float32';
    let values: Float32Array;
    if (dtype === 'float32') values = new Float32Array(data.slice(at, at + 4 * n));
    else if (dtype === 'int32') values = Float32Array.from(new Int32Array(data.slice(at, at + 4 * n)));
    else values = Float32Array.from(new Uint8Array(data.slice(at, at + n)));
    at += n * BYTES[dtype];
    out.set(s.name, { spec: s, values });
  }
  return out;
}
