// `npm run train` as a user runs it (the built bundle, a child process): options, per-epoch figures, the
// files it writes. Needs dist/simdnet.js (built by `npm test`'s pretest, or `npm run build`).
import { describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const run = promisify(execFile);
const cli = (args: string[]) =>
  run(process.execPath, ['--experimental-wasm-relaxed-simd', 'scripts/train.mjs', ...args], { cwd: join(import.meta.dirname, '../..') });

describe('the training CLI', () => {
  it('trains a quick mlp, reports validation and test figures, and writes the TF.js files it reloads', async () => {
    const out = mkdtempSync(join(tmpdir(), 'simdnet-train-'));
    const args = ['--model', 'mlp', '--epochs', '2', '--train-size', '1000', '--test-size', '300', '--validation', '200', '--seed', '3', '--out', out];
    const { stdout } = await cli(args);
    expect(stdout).toMatch(/MNIST: 1,000 training, 200 validation \(the last of the training file\), 300 test images/);
    expect(stdout).toMatch(/kernels: (simd|relaxed), 1 thread/);
    expect(stdout).toMatch(/Total params: 101,770/);
    expect(stdout).toMatch(/epoch 1\/2 +\d+% \| [\d,]+ img\/s \| loss \d\.\d{4} \| acc \d+\.\d\d%/); // progress lines (not a TTY)
    expect(stdout).toMatch(/epoch 2\/2: loss \d\.\d{4}, accuracy \d+\.\d\d% \| validation loss \d\.\d{4}, accuracy \d+\.\d\d%/);
    expect(stdout).toMatch(/test: loss \d\.\d{4}, accuracy \d+\.\d\d% on 300 images/);
    expect(stdout).toMatch(/reloaded: test accuracy [\d.]+% \(same\)/);
    expect(statSync(join(out, 'weights.bin')).size).toBe(101_770 * 4);
    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    const record = JSON.parse(readFileSync(join(out, 'training.json'), 'utf8'));
    expect(record.command).toBe(`npm run train -- ${args.join(' ')}`);
    expect(record).toMatchObject({ model: 'mlp', epochs: 2, seed: 3, trainImages: 1000, validationImages: 200, testImages: 300 });
    expect(record.history).toHaveLength(2);
    expect(record.history[1].loss).toBeLessThan(record.history[0].loss);
    expect(record.testAccuracy).toBeGreaterThan(0.5);
  });

  it('refuses an unknown model and a bad number, naming the choices', async () => {
    await expect(cli(['--model', 'resnet'])).rejects.toMatchObject({ stderr: expect.stringMatching(/Allowed choices are convnet, convnet-bn, lenet5, mlp/) });
    await expect(cli(['--epochs', '0'])).rejects.toMatchObject({ stderr: expect.stringMatching(/--epochs.*expected an integer ≥ 1/) });
  });
});

describe('the training CLI: data sets, augmentation, schedule, early stopping', () => {
  it('trains on Fashion-MNIST with augmentation, a cosine schedule and early stopping, printing what it used', { timeout: 300_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'simdnet-train-'));
    const args = ['--dataset', 'fashion', '--model', 'mlp', '--augment', '--schedule', 'cosine', '--patience', '1', '--epochs', '2', '--train-size', '500', '--test-size', '200', '--validation', '100', '--out', out];
    const { stdout } = await cli(args);
    expect(stdout).toMatch(/Fashion-MNIST: 500 training, 100 validation \(the last of the training set\), 200 test images/);
    expect(stdout).toContain('learning rate: cosine decay from 0.001 to 0.00001 over 2 epochs (16 steps)');
    expect(stdout).toContain('augmentation: randomFlip(horizontal), randomTranslation(height ±10 %, width ±10 %, fill constant) (training only; saved without)');
    expect(stdout).toContain('early stopping: patience 1 on val_loss, best weights restored');
    expect(stdout).toMatch(/reloaded: test accuracy [\d.]+% \(same\)/);
    // Saved for TF.js: the augmentation layers are left out.
    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(json.modelTopology.config.layers.map((l: { class_name: string }) => l.class_name)).toEqual(['Flatten', 'Dense', 'Dropout', 'Dense']);
    const record = JSON.parse(readFileSync(join(out, 'training.json'), 'utf8'));
    expect(record).toMatchObject({ dataset: 'fashion', patience: 1, schedule: 'cosine decay from 0.001 to 0.00001 over 2 epochs (16 steps)' });
    expect(record.augmentation).toMatch(/^randomFlip\(horizontal\), randomTranslation/);
  });

  it('trains on CIFAR-10 batches in --data-dir (flips and shifts), and needs --data-dir', { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cifar-'));
    const batch = (n: number, seed: number) => {
      const b = new Uint8Array(n * 3073);
      for (let r = 0; r < n; r++) {
        b[r * 3073] = (r + seed) % 10;
        for (let p = 1; p < 3073; p++) b[r * 3073 + p] = (r * 31 + p * 7 + seed) % 256;
      }
      return b;
    };
    for (let i = 1; i <= 5; i++) writeFileSync(join(dir, `data_batch_${i}.bin`), batch(8, i));
    writeFileSync(join(dir, 'test_batch.bin'), batch(6, 9));
    const { stdout } = await cli(['--dataset', 'cifar10', '--data-dir', dir, '--augment', '--schedule', 'exponential', '--epochs', '1', '--validation', '4', '--no-save']);
    expect(stdout).toMatch(/CIFAR-10: 36 training, 4 validation \(the last of the training set\), 6 test images/);
    expect(stdout).toContain('augmentation: randomFlip(horizontal), randomTranslation(height ±10 %, width ±10 %, fill reflect)');
    expect(stdout).toContain('learning rate: exponential decay from 0.001, ×0.9 per epoch');
    expect(stdout).toMatch(/test: loss \d\.\d{4}, accuracy \d+\.\d\d% on 6 images/);
    await expect(cli(['--dataset', 'cifar10'])).rejects.toMatchObject({ stderr: expect.stringMatching(/--dataset cifar10 needs --data-dir/) });
  });
});
