// Node helpers: a model as `model.json` + `weights.bin` in a directory (what TF.js's file:// handler
// writes). node:fs is imported inside the functions so the browser bundle never loads it.
import { nodeBuiltin } from '../node-builtin.js';
import { checkManifest, concatBuffers, toModelJson, type ModelArtifacts, type ModelJson } from './artifacts.js';

/**
 * Writes `dir/model.json` and its weights file so that at every instant the folder holds one complete model
 * (the old one or the new one, never a new weights file beside an old topology):
 *   1. the weights go to the file name the current model.json does NOT use (weights.bin / weights.1.bin),
 *      through a temporary file that is synced and renamed;
 *   2. a new model.json naming that file is written to a temporary file, synced, and renamed over the old one
 *      (rename is atomic on POSIX and Windows);
 *   3. only then is the previous weights file removed.
 * Saves to one folder from this process run one after another.
 */
export async function saveArtifactsToDir(artifacts: ModelArtifacts, dir: string): Promise<void> {
  const previous = savesInProgress.get(dir) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => saveNow(artifacts, dir));
  savesInProgress.set(dir, run);
  try {
    await run;
  } finally {
    if (savesInProgress.get(dir) === run) savesInProgress.delete(dir);
  }
}

const savesInProgress = new Map<string, Promise<void>>();
const WEIGHT_FILES = ['weights.bin', 'weights.1.bin'];

async function saveNow(artifacts: ModelArtifacts, dir: string): Promise<void> {
  const fs = await nodeBuiltin('fs/promises');
  const { join } = await nodeBuiltin('path');
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (e) {
    throw new Error(`simdnet: save: cannot create the folder ${shortPath(dir)}: ${reason(e)}`);
  }
  const jsonPath = join(dir, 'model.json');
  const oldWeights = await weightFilesNamedBy(jsonPath);
  const weightsName = WEIGHT_FILES.find((f) => !oldWeights.includes(f)) ?? `weights.${Date.now()}.bin`;
  const data = artifacts.weightData === undefined ? new ArrayBuffer(0) : concatBuffers(artifacts.weightData);
  await writeFileAtomic(join(dir, weightsName), new Uint8Array(data));
  try {
    await writeFileAtomic(jsonPath, JSON.stringify(toModelJson(artifacts, `./${weightsName}`)));
  } catch (e) {
    await fs.rm(join(dir, weightsName), { force: true }); // the old model.json does not name it: nothing loses
    throw e;
  }
  for (const old of oldWeights) {
    if (old !== weightsName) await fs.rm(join(dir, old), { force: true });
  }
}

/** The weight files (plain names in this folder) that an existing model.json refers to; [] when there is none. */
async function weightFilesNamedBy(jsonPath: string): Promise<string[]> {
  const fs = await nodeBuiltin('fs/promises');
  const { basename } = await nodeBuiltin('path');
  let json: ModelJson;
  try {
    json = JSON.parse(await fs.readFile(jsonPath, 'utf8')) as ModelJson;
  } catch {
    return [];
  }
  const names: string[] = [];
  for (const group of Array.isArray(json?.weightsManifest) ? json.weightsManifest : []) {
    for (const p of Array.isArray(group?.paths) ? group.paths : []) {
      // Only files in this folder are ours to replace; a path elsewhere is left alone.
      if (typeof p === 'string' && basename(p) === p.replace(/^\.\//, '')) names.push(basename(p));
    }
  }
  return names;
}

/** Writes to a temporary file in the same folder, syncs it, then renames it over `path`. */
async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const fs = await nodeBuiltin('fs/promises');
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    const file = await fs.open(tmp, 'w');
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw new Error(`simdnet: save: writing ${shortPath(path)} failed: ${reason(e)}`);
  }
}

/**
 * The file path a loadModel source names in Node, or null when it is a URL to fetch: a `file:` URL (string
 * or URL object; %-escapes decoded, spaces as typed kept), TF.js's `file://relative/path`, or
 * a string without a URL scheme (a path, relative to the working directory).
 */
export async function filePathOf(source: string | URL): Promise<string | null> {
  const { fileURLToPath } = await nodeBuiltin('url');
  const { resolve } = await nodeBuiltin('path');
  if (typeof source !== 'string') return source.protocol === 'file:' ? fileURLToPath(source) : null;
  if (source.startsWith('file://') && !source.startsWith('file:///')) return resolve(source.slice('file://'.length));
  if (source.startsWith('file:')) {
    try {
      // '?' and '#' are part of the path here, as save('file://...') and TF.js's file:// handler take it.
      return fileURLToPath(new URL(source.replace(/[?#]/g, encodeURIComponent)));
    } catch (e) {
      throw new Error(`simdnet: loadModel: ${shortPath(source)} is not a file URL this system can read: ${(e as Error).message.slice(0, 200)}`);
    }
  }
  // A scheme is two or more letters and a colon (so a Windows path like C:\models is a path).
  return /^[a-z][a-z0-9+.-]+:/i.test(source) ? null : resolve(source);
}

/** Reads `path/model.json` (or `path` when it names the .json file) and the weight files it lists. */
export async function readArtifactsFromDir(path: string): Promise<ModelArtifacts> {
  const fs = await nodeBuiltin('fs/promises');
  const { join, dirname } = await nodeBuiltin('path');
  const jsonPath = path.endsWith('.json') ? path : join(path, 'model.json');
  let text: string;
  try {
    text = await fs.readFile(jsonPath, 'utf8');
  } catch (e) {
    throw new Error(`simdnet: loadModel: cannot read ${shortPath(jsonPath)}: ${reason(e)}`);
  }
  let json: ModelJson;
  try {
    json = JSON.parse(text) as ModelJson;
  } catch (e) {
    throw new Error(`simdnet: loadModel: ${shortPath(jsonPath)} is not valid JSON: ${(e as Error).message.slice(0, 200)}`);
  }
  checkManifest(json, shortPath(jsonPath));
  const parts: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      const file = join(dirname(jsonPath), p);
      try {
        parts.push(await fs.readFile(file));
      } catch (e) {
        throw new Error(`simdnet: loadModel: cannot read the weights file ${shortPath(file)} (listed in ${shortPath(jsonPath)}): ${reason(e)}`);
      }
    }
  }
  return { ...json, weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData: concatBuffers(parts) };
}

/** Node's fs error as words: 'no such file or directory' rather than the whole "ENOENT: ..., open '...'" line. */
function reason(e: unknown): string {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return (e as Error).message.slice(0, 200);
}

/** A path as messages show it: whole when it is of a sane length, else its start and end. */
function shortPath(p: string): string {
  return p.length > 240 ? `${p.slice(0, 120)}…${p.slice(-100)} (${p.length} characters)` : p;
}
