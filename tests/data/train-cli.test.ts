// `npm run train` as a user runs it (the built bundle, a child process): options, per-epoch figures, the
// files it writes. Needs dist/simdnet.js (built by `npm test`'s pretest, or `npm run build`).
import { describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
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
    await expect(cli(['--model', 'resnet'])).rejects.toMatchObject({ stderr: expect.stringMatching(/Allowed choices are convnet, lenet5, mlp/) });
    await expect(cli(['--epochs', '0'])).rejects.toMatchObject({ stderr: expect.stringMatching(/--epochs.*expected an integer ≥ 1/) });
  });
});
