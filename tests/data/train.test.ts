// The training path end to end on a slice of MNIST: the CLI's default model learns in one epoch, and the
// TF.js layers-format files it writes load back into the same model.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sn from '../../src/index.js';
// @ts-expect-error: plain ESM helpers of the training CLI, shared with this test
import { buildModel, DEFAULT_MODEL } from '../../scripts/train/models.mjs';

beforeAll(async () => {
  await sn.ready();
  sn.setSeed(7);
});

describe('training the default MNIST model', () => {
  it('1 epoch on 2,000 images brings the loss well below the first batch, and the saved files load back', async () => {
    const data = await sn.data.loadMnist({ train: 2000, test: 500 });
    const model = buildModel(sn, DEFAULT_MODEL);
    const batchLosses: number[] = [];
    const history = await model.fit(data.trainImages, data.trainLabels, {
      epochs: 1,
      batchSize: 32,
      shuffle: true,
      callbacks: { onBatchEnd: (_batch: number, logs: { loss: number }) => { batchLosses.push(logs.loss); } },
    });
    expect(batchLosses.length).toBe(Math.ceil(2000 / 32));
    const first = batchLosses[0];
    const last = batchLosses.slice(-8).reduce((a, b) => a + b, 0) / 8;
    expect(first).toBeGreaterThan(1.8); // 10 balanced classes at random: about ln 10 = 2.30
    expect(last).toBeLessThan(0.5 * first);
    expect(history.history.loss[0]).toBeLessThan(first);

    const test = model.evaluate(data.testImages, data.testLabels);
    expect(test.accuracy).toBeGreaterThan(0.7); // 10 % is chance

    const dir = mkdtempSync(join(tmpdir(), 'simdnet-model-'));
    await sn.saveToDir(model, dir);
    expect(statSync(join(dir, 'weights.bin')).size).toBe(model.countParams() * 4);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual(['./weights.bin']);
    expect(json.weightsManifest[0].weights.map((w: { name: string }) => w.name.split('/').pop())).toEqual(['kernel', 'bias', 'kernel', 'bias', 'kernel', 'bias']);

    const again = await sn.loadFromDir(dir);
    const a = model.predict(data.testImages);
    const b = again.predict(data.testImages);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    a.dispose();
    b.dispose();
    data.dispose();
  });
});
