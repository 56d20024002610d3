// Node helpers over a directory holding `model.json` + `weights.bin` (as TF.js's file:// handler writes).
import type { Sequential } from './sequential.js';
import type { LayersModel } from './layers-model.js';
import type { Model, SaveOptions } from './model.js';
import type { ModelArtifacts } from './artifacts.js';
import { readArtifactsFromDir } from './io-node.js';
import { modelFromArtifacts } from './load.js';
import { nodeBuiltin } from '../node-builtin.js';

/** Writes `dir/model.json` and `dir/weights.bin` (creating dir); returns the artifacts. Options as model.save's. */
export async function saveToDir(model: Model, dir: string, options: SaveOptions = {}): Promise<ModelArtifacts> {
  // A file: URL made from the path, so that '%', '#' or '?' in a folder name are taken literally.
  const { pathToFileURL } = await nodeBuiltin('url');
  const { resolve } = await nodeBuiltin('path');
  return model.save(pathToFileURL(resolve(dir)).href, options);
}

/** Reads a model saved by saveToDir or by TF.js (`dir`, or the path of its model.json). */
export async function loadFromDir(path: string): Promise<Sequential | LayersModel> {
  return modelFromArtifacts(await readArtifactsFromDir(path));
}
