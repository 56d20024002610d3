// Writes and reads a model in the TensorFlow.js layers format: model.json (topology + weights manifest)
// next to one weights.bin, as `tf.loadLayersModel('file://…/model.json')` and `sn.loadModel` read it.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const WEIGHTS_FILE = 'weights.bin';

/** `artifacts` as `model.save()` returns them: { modelTopology, weightSpecs, weightData, ... }. */
export async function writeLayersModel(dir, artifacts, extra = {}) {
  await mkdir(dir, { recursive: true });
  const weightData = toBytes(artifacts.weightData);
  const modelJson = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy ?? 'simdnet',
    convertedBy: artifacts.convertedBy ?? null,
    ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
    ...extra,
    weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs }],
  };
  await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
  await writeFile(join(dir, WEIGHTS_FILE), weightData);
  return { modelJsonBytes: Buffer.byteLength(JSON.stringify(modelJson)), weightBytes: weightData.byteLength };
}

/** The artifacts back from a directory written by writeLayersModel (or by TF.js's `save('file://…')`). */
export async function readLayersModel(dir) {
  const modelJson = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  const weightSpecs = [];
  const parts = [];
  for (const group of modelJson.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const path of group.paths) parts.push(await readFile(join(dir, path)));
  }
  const all = Buffer.concat(parts);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return {
    modelTopology: modelJson.modelTopology,
    format: modelJson.format,
    generatedBy: modelJson.generatedBy,
    convertedBy: modelJson.convertedBy,
    trainingConfig: modelJson.trainingConfig,
    weightSpecs,
    weightData,
  };
}

function toBytes(data) {
  if (Array.isArray(data)) return Buffer.concat(data.map(toBytes));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new Error(`model.save() gave weightData of an unexpected kind: ${Object.prototype.toString.call(data)}`);
}
