// sn.data.loadFashionMnist (the fashion-mnist package's JSON, simdnet's 6,000/1,000-per-class split) and
// sn.data.loadCifar10 (the official binary batches, CHW planes → NHWC), on files written here in those
// formats, plus the installed fashion-mnist package itself.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as sn from '../../src/index.js';

beforeAll(async () => {
  await sn.ready();
});

/** Image i of class c, as the package stores it: 784 integers, a value that says which image it is. */
const fashionImage = (c: number, i: number) => Array.from({ length: 784 }, (_, p) => (c * 20 + i * 3 + p) % 256);

function writeFashion(perClass: number[], extra: (c: number) => unknown[] = () => []): string {
  const dir = mkdtempSync(join(tmpdir(), 'fashion-'));
  perClass.forEach((n, c) => {
    const data: unknown[] = Array.from({ length: n }, (_, i) => fashionImage(c, i));
    data.splice(1, 0, ...extra(c));
    writeFileSync(join(dir, `${c}.json`), JSON.stringify({ data }));
  });
  return dir;
}

describe('loadFashionMnist', () => {
  it('splits each class into its first images for training and its last testPerClass for testing, classes interleaved', async () => {
    // Class 0 gets the package's empty entries, which are skipped.
    const dir = writeFashion([5, 5, 5, 5, 5, 5, 5, 5, 5, 6], (c) => (c === 0 ? [[], []] : []));
    const d = await sn.data.loadFashionMnist({ dir, testPerClass: 2 });
    expect(d.trainImages.shape).toEqual([31, 28, 28, 1]);
    expect(d.testImages.shape).toEqual([20, 28, 28, 1]);
    const trainLabels = Array.from(d.trainLabels.dataSync());
    // Round-robin: image 0 of classes 0..9, image 1 of classes 0..9, ...; class 9 has one more.
    expect(trainLabels).toEqual([...[0, 1, 2].flatMap(() => [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), 9]);
    const px = d.trainImages.dataSync();
    const testPx = d.testImages.dataSync();
    const at = (data: Float32Array, k: number) => Array.from(data.subarray(k * 784, (k + 1) * 784));
    const scaled = (c: number, i: number) => fashionImage(c, i).map((v) => Math.fround(v / 255));
    expect(at(px, 13)).toEqual(scaled(3, 1)); // row 13 = image 1 of class 3
    expect(at(px, 30)).toEqual(scaled(9, 3)); // class 9's fourth training image
    expect(Array.from(d.testLabels.dataSync())).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(at(testPx, 0)).toEqual(scaled(0, 3)); // test = the last 2 of each class
    expect(at(testPx, 19)).toEqual(scaled(9, 5));
    d.dispose();
    const v = await sn.data.loadFashionMnist({ dir, testPerClass: 2, validation: 10, train: 4, test: 3 });
    expect(v.trainImages.shape[0]).toBe(4);
    expect(v.testImages.shape[0]).toBe(3);
    expect(Array.from(v.validationLabels!.dataSync())).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 9, 9].map((_, i) => trainLabels[21 + i]));
    v.dispose();
  });

  it('names the file that is missing, malformed or too small', async () => {
    const dir = writeFashion([3, 3, 3, 3, 3, 3, 3, 3, 3, 3]);
    await expect(sn.data.loadFashionMnist({ dir })).rejects.toThrow(/0\.json holds 3 images, not more than the 1000 test images per class/);
    writeFileSync(join(dir, '4.json'), JSON.stringify({ data: [fashionImage(4, 0), [1, 2, 3]] }));
    await expect(sn.data.loadFashionMnist({ dir, testPerClass: 1 })).rejects.toThrow(/4\.json: image 1 must be 784 pixel values, got an array/);
    writeFileSync(join(dir, '4.json'), '{"data": [');
    await expect(sn.data.loadFashionMnist({ dir, testPerClass: 1 })).rejects.toThrow(/cannot read .*4\.json/);
    await expect(sn.data.loadFashionMnist({ dir: join(dir, 'nope') })).rejects.toThrow(/cannot read .*nope.*0\.json/);
  });

  it('loads the installed package as 60,000 / 10,000 balanced images', { timeout: 120_000 }, async () => {
    const d = await sn.data.loadFashionMnist();
    expect(d.trainImages.shape).toEqual([60000, 28, 28, 1]);
    expect(d.testImages.shape).toEqual([10000, 28, 28, 1]);
    const counts = (t: sn.Tensor) => t.dataSync().reduce((c, y) => (c[y]++, c), new Array(10).fill(0));
    expect(counts(d.trainLabels)).toEqual(new Array(10).fill(6000));
    expect(counts(d.testLabels)).toEqual(new Array(10).fill(1000));
    // Test image 1 (class 1) is trousers image 6,000 of the package's 1.json.
    const file = join(dirname(createRequire(import.meta.url).resolve('fashion-mnist/package.json')), 'src/clothes/1.json');
    const raw = JSON.parse(readFileSync(file, 'utf8')).data[6000] as number[];
    expect(Array.from(d.testImages.dataSync().subarray(784, 2 * 784))).toEqual(raw.map((v) => Math.fround(v / 255)));
    d.dispose();
  });
});

/** A CIFAR-10 batch: records of 1 label byte then the R, G, B 32x32 planes; pixel values say which record/plane. */
function cifarBatch(labels: number[], seed: number): Uint8Array {
  const b = new Uint8Array(labels.length * 3073);
  labels.forEach((y, r) => {
    b[r * 3073] = y;
    for (let ch = 0; ch < 3; ch++) for (let p = 0; p < 1024; p++) b[r * 3073 + 1 + ch * 1024 + p] = (seed * 7 + r * 11 + ch * 50 + p) % 256;
  });
  return b;
}

function writeCifar(dir: string, counts = [2, 3, 1, 2, 2], test = 3): void {
  counts.forEach((n, i) => writeFileSync(join(dir, `data_batch_${i + 1}.bin`), cifarBatch(Array.from({ length: n }, (_, r) => (i + r) % 10), i + 1)));
  writeFileSync(join(dir, 'test_batch.bin'), cifarBatch(Array.from({ length: test }, (_, r) => 9 - r), 9));
}

describe('loadCifar10', () => {
  it('reads the five training batches in order and the test batch, CHW planes to NHWC in [0, 1]', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cifar-'));
    writeCifar(dir);
    const d = await sn.data.loadCifar10({ dir });
    expect(d.trainImages.shape).toEqual([10, 32, 32, 3]);
    expect(d.testImages.shape).toEqual([3, 32, 32, 3]);
    expect(Array.from(d.trainLabels.dataSync())).toEqual([0, 1, 1, 2, 3, 2, 3, 4, 4, 5]); // batch i, record r: (i + r) % 10
    expect(Array.from(d.testLabels.dataSync())).toEqual([9, 8, 7]);
    // Training row 3 is record 1 of data_batch_2 (seed 2); its pixel (row 5, col 7), channel c:
    const px = d.trainImages.dataSync();
    for (let c = 0; c < 3; c++) {
      const p = 5 * 32 + 7;
      expect(px[3 * 3072 + p * 3 + c]).toBe(Math.fround(((2 * 7 + 1 * 11 + c * 50 + p) % 256) / 255));
    }
    const t = d.testImages.dataSync();
    expect(t[2 * 3072 + 1023 * 3 + 2]).toBe(Math.fround(((9 * 7 + 2 * 11 + 100 + 1023) % 256) / 255));
    d.dispose();
    // The folder above cifar-10-batches-bin/ also works, as the archive extracts.
    const parent = mkdtempSync(join(tmpdir(), 'cifar-'));
    mkdirSync(join(parent, 'cifar-10-batches-bin'));
    writeCifar(join(parent, 'cifar-10-batches-bin'));
    const again = await sn.data.loadCifar10({ dir: parent, validation: 2 });
    expect(again.trainImages.shape[0]).toBe(8);
    expect(Array.from(again.validationLabels!.dataSync())).toEqual([4, 5]);
    again.dispose();
  });

  it('rejects a truncated batch file, a wrong label and a missing folder or file, naming them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cifar-'));
    writeCifar(dir);
    writeFileSync(join(dir, 'data_batch_3.bin'), cifarBatch([1, 2], 3).subarray(0, 3073 + 100));
    await expect(sn.data.loadCifar10({ dir })).rejects.toThrow(/data_batch_3\.bin is 3173 bytes, not a whole number of 3073-byte records.*truncated/);
    writeFileSync(join(dir, 'data_batch_3.bin'), cifarBatch([1, 12], 3));
    await expect(sn.data.loadCifar10({ dir })).rejects.toThrow(/data_batch_3\.bin: record 1 has label 12, expected 0-9/);
    writeCifar(dir);
    writeFileSync(join(dir, 'test_batch.bin'), new Uint8Array(0));
    await expect(sn.data.loadCifar10({ dir })).rejects.toThrow(/test_batch\.bin is 0 bytes/);
    await expect(sn.data.loadCifar10({ dir: join(dir, 'nope') })).rejects.toThrow(/cannot read the folder .*nope.*cifar-10-binary\.tar\.gz/);
    await expect(sn.data.loadCifar10({ dir: mkdtempSync(join(tmpdir(), 'empty-')) })).rejects.toThrow(/cannot read .*data_batch_1\.bin/);
    await expect(sn.data.loadCifar10({} as never)).rejects.toThrow(/loadCifar10 needs \{ dir \}/);
  });
});
