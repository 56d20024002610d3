// What the Node-only data loaders share: the Node check, where an installed package lives, the counts
// options, and images/labels tensors filled in one pass. Node modules come through nodeBuiltin, so the
// one bundle still loads in browsers.
import { Tensor } from '../tensor.js';
import { describeValue } from '../describe.js';
import { nodeBuiltin } from '../node-builtin.js';

/** Throws unless this is Node (a browser page fetches files itself). */
export function requireNode(who: string, browserHint: string): void {
  if (typeof process === 'undefined' || typeof process.versions?.node !== 'string') {
    throw new Error(`simdnet: ${who} reads files and runs only in Node; ${browserHint}`);
  }
}

/**
 * The folder of an installed package, resolved from the working directory, then from the main script
 * (so from the user's node_modules). Not from `import.meta.url`: the bundle must not mention `import.meta`,
 * which a browser bundler's default script format (esbuild's iife) warns about and the CommonJS build lacks.
 */
export async function packageDir(name: string, who: string, what: string): Promise<string> {
  const { createRequire } = await nodeBuiltin('module');
  const { dirname, join, resolve } = await nodeBuiltin('path');
  const bases = [process.cwd(), ...(process.argv[1] ? [dirname(resolve(process.argv[1]))] : [])];
  for (const base of bases) {
    try {
      return dirname(createRequire(join(base, 'index.js')).resolve(`${name}/package.json`));
    } catch {
      // not installed where this base looks; try the next one
    }
  }
  throw new Error(`simdnet: ${who} needs the \`${name}\` package (${what}): run \`npm install ${name}\``);
}

export function count(n: unknown, what: string, who: string): number {
  if (!Number.isInteger(n) || (n as number) < 0) throw new Error(`simdnet: ${who}: ${what} must be a non-negative integer, got ${describeValue(n)}`);
  return n as number;
}

/** Images [n, ...shape] in [0, 1] from bytes (rows first..first+n of `pixels`, already in NHWC order). */
export function imagesTensor(pixels: Uint8Array, first: number, n: number, shape: number[]): Tensor {
  const t = Tensor.empty([n, ...shape]);
  const size = shape.reduce((a, b) => a * b, 1);
  const out = t.view();
  const src = pixels.subarray(first * size, (first + n) * size);
  const scale = 1 / 255;
  for (let i = 0; i < src.length; i++) out[i] = src[i] * scale;
  return t;
}

/** Class indices [n] as float32. */
export function labelsTensor(labels: Uint8Array, first: number, n: number): Tensor {
  const t = Tensor.empty([n]);
  t.view().set(labels.subarray(first, first + n));
  return t;
}

/** The data sets' common result: train/test (and an optional validation hold-out) image and label tensors. */
export interface ImageData {
  /** [n, height, width, channels], values in [0, 1]. */
  trainImages: Tensor;
  /** [n], class indices as float32. */
  trainLabels: Tensor;
  testImages: Tensor;
  testLabels: Tensor;
  /** Present when `validation` > 0: the last images of the training set. */
  validationImages?: Tensor;
  validationLabels?: Tensor;
  /** Disposes every tensor above. */
  dispose(): void;
}

export interface SplitOptions {
  /** How many training images to load, from the start of the training set (default all). */
  train?: number;
  /** How many test images to load, from the start of the test set (default all). */
  test?: number;
  /** Holds out the LAST `validation` training images as a validation set (default 0), never among `train`. */
  validation?: number;
}

/** Tensors for the split asked, from NHWC pixel bytes and label bytes of the training and test sets. */
export function splitTensors(
  who: string,
  shape: number[],
  train: { pixels: Uint8Array; labels: Uint8Array },
  test: { pixels: Uint8Array; labels: Uint8Array },
  options: SplitOptions,
): ImageData {
  const validation = count(options.validation ?? 0, 'validation', who);
  const trainTotal = train.labels.length;
  if (validation >= trainTotal) throw new Error(`simdnet: ${who}: validation ${validation} must leave some of the ${trainTotal} training images`);
  const trainAvail = trainTotal - validation;
  const nTrain = Math.min(count(options.train ?? trainAvail, 'train', who), trainAvail);
  const nTest = Math.min(count(options.test ?? test.labels.length, 'test', who), test.labels.length);
  const made: Tensor[] = [];
  const keep = (t: Tensor) => (made.push(t), t);
  const result: ImageData = {
    trainImages: keep(imagesTensor(train.pixels, 0, nTrain, shape)),
    trainLabels: keep(labelsTensor(train.labels, 0, nTrain)),
    testImages: keep(imagesTensor(test.pixels, 0, nTest, shape)),
    testLabels: keep(labelsTensor(test.labels, 0, nTest)),
    dispose: () => made.forEach((t) => t.dispose()),
  };
  if (validation > 0) {
    result.validationImages = keep(imagesTensor(train.pixels, trainAvail, validation, shape));
    result.validationLabels = keep(labelsTensor(train.labels, trainAvail, validation));
  }
  return result;
}
