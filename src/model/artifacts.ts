// The TensorFlow.js layers-model artifacts: topology JSON, weight specs and one weight buffer, plus the
// model.json form (weightsManifest with file paths) that files and URLs use.

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

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/**
 * Splits the weight buffer by its specs into Float32Arrays. Throws naming the problem when a spec has an
 * unknown dtype or quantisation, or when the buffer is shorter or longer than the specs say.
 */
export function decodeWeights(specs: WeightSpec[], data: ArrayBuffer): Map<string, { spec: WeightSpec; values: Float32Array }> {
  let need = 0;
  for (const s of specs) {
    if (!s || typeof s.name !== 'string' || !Array.isArray(s.shape)) {
      throw new Error(`simdnet: loadModel: a weight spec is malformed: ${JSON.stringify(s)}`);
    }
    if (s.quantization) throw new Error(`simdnet: loadModel: weight '${s.name}' is quantized; simdnet loads only float32 weights`);
    const bytes = BYTES[s.dtype ?? 'float32'];
    if (!bytes) throw new Error(`simdnet: loadModel: weight '${s.name}' has dtype '${s.dtype}'; simdnet loads float32 weights`);
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
