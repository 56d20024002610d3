// Node helpers: a model as `model.json` + `weights.bin` in a directory (what TF.js's file:// handler
// writes). node:fs is imported inside the functions so the browser bundle never loads it.
import { concatBuffers, toModelJson, type ModelArtifacts, type ModelJson } from './artifacts.js';

export async function saveArtifactsToDir(artifacts: ModelArtifacts, dir: string): Promise<void> {
  const fs = await import('node:fs/promises');
  const { join } = await import('node:path');
  await fs.mkdir(dir, { recursive: true });
  const data = artifacts.weightData === undefined ? new ArrayBuffer(0) : concatBuffers(artifacts.weightData);
  await fs.writeFile(join(dir, 'weights.bin'), new Uint8Array(data));
  await fs.writeFile(join(dir, 'model.json'), JSON.stringify(toModelJson(artifacts, './weights.bin')));
}

export async function readArtifactsFromDir(path: string): Promise<ModelArtifacts> {
  const fs = await import('node:fs/promises');
  const { join, dirname } = await import('node:path');
  const jsonPath = path.endsWith('.json') ? path : join(path, 'model.json');
  let json: ModelJson;
  try {
    json = JSON.parse(await fs.readFile(jsonPath, 'utf8')) as ModelJson;
  } catch (e) {
    throw new Error(`simdnet: loadModel: cannot read ${jsonPath}: ${(e as Error).message}`);
  }
  if (!json || !Array.isArray(json.weightsManifest)) throw new Error(`simdnet: loadModel: ${jsonPath} has no weightsManifest`);
  const parts: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) parts.push(await fs.readFile(join(dirname(jsonPath), p)));
  }
  return { ...json, weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData: concatBuffers(parts) };
}
