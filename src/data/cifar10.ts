// CIFAR-10 in Node from the official binary version (cifar-10-binary.tar.gz from
// https://www.cs.toronto.edu/~kriz/cifar.html, extracted): data_batch_1.bin … data_batch_5.bin (training,
// in that order) and test_batch.bin, each 10,000 records of 1 label byte + 3,072 pixel bytes: the red,
// green and blue 32x32 planes, rows top to bottom. Returned NHWC: images [n, 32, 32, 3] in [0, 1].
// Labels: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog, 7 horse, 8 ship, 9 truck.
import { nodeBuiltin } from '../node-builtin.js';
import { requireNode, splitTensors, type ImageData, type SplitOptions } from './node-files.js';

export interface Cifar10Options extends SplitOptions {
  /** The folder holding the .bin files (or the folder above it, holding cifar-10-batches-bin/). */
  dir: string;
}

const PLANE = 32 * 32;
const RECORD = 1 + 3 * PLANE;
const TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);

/** Loads CIFAR-10 from the official binary batches in `dir` (Node only). Call `sn.ready()` first. */
export async function loadCifar10(options: Cifar10Options): Promise<ImageData> {
  const who = 'loadCifar10';
  requireNode(who, 'in a browser, fetch the batch files and make tensors with sn.tensor');
  const { readFile, readdir } = await nodeBuiltin('fs/promises');
  const { join } = await nodeBuiltin('path');
  const hint = 'download the binary version (cifar-10-binary.tar.gz) from https://www.cs.toronto.edu/~kriz/cifar.html and extract it';
  if (typeof options?.dir !== 'string') throw new Error(`simdnet: ${who} needs { dir }: the folder of data_batch_1.bin … test_batch.bin; ${hint}`);
  let dir = options.dir;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new Error(`simdnet: ${who} cannot read the folder ${dir} (${(e as Error).message}); ${hint}`);
  }
  if (!names.includes('test_batch.bin') && names.includes('cifar-10-batches-bin')) dir = join(dir, 'cifar-10-batches-bin');

  const read = async (files: string[]) => {
    const parts: Uint8Array[] = [];
    for (const file of files) {
      const path = join(dir, file);
      let bytes: Uint8Array;
      try {
        bytes = await readFile(path);
      } catch (e) {
        throw new Error(`simdnet: ${who} cannot read ${path} (${(e as Error).message}); ${hint}`);
      }
      if (bytes.length === 0 || bytes.length % RECORD !== 0) {
        throw new Error(`simdnet: ${who}: ${path} is ${bytes.length} bytes, not a whole number of ${RECORD}-byte records (1 label + 3,072 pixels): truncated or not a CIFAR-10 batch`);
      }
      parts.push(bytes);
    }
    const n = parts.reduce((a, b) => a + b.length / RECORD, 0);
    const pixels = new Uint8Array(n * 3 * PLANE);
    const labels = new Uint8Array(n);
    let k = 0;
    parts.forEach((bytes, f) => {
      for (let at = 0; at < bytes.length; at += RECORD, k++) {
        const label = bytes[at];
        if (label > 9) throw new Error(`simdnet: ${who}: ${join(dir, files[f])}: record ${at / RECORD} has label ${label}, expected 0-9: not a CIFAR-10 batch`);
        labels[k] = label;
        // CHW planes → HWC: pixel p's channels are at p, p + 1024, p + 2048 of the record.
        const src = at + 1;
        const dst = k * 3 * PLANE;
        for (let p = 0; p < PLANE; p++) {
          pixels[dst + 3 * p] = bytes[src + p];
          pixels[dst + 3 * p + 1] = bytes[src + PLANE + p];
          pixels[dst + 3 * p + 2] = bytes[src + 2 * PLANE + p];
        }
      }
    });
    return { pixels, labels };
  };
  const train = await read(TRAIN_FILES);
  const test = await read(['test_batch.bin']);
  return splitTensors(who, [32, 32, 3], train, test, options);
}
