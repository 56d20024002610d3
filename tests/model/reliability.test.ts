// Issue 10, model side: nothing a user calls, in whatever order, loses or corrupts a model silently.
// Disposed models throw, saves are atomic, lazy builds are all-or-nothing, a failed build leaks nothing,
// NaN stops training loudly, and malformed files and arguments get short errors that name what is wrong.
import { describe, it, expect, beforeAll, vi, afterEach } from 'vitest';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sn from '../../src/index.js';
import { Tensor } from '../../src/tensor.js';

// Lets a test make the rename of model.json fail, as a crash between the two writes of a save would.
const failRenameOf = vi.hoisted(() => ({ suffix: '' }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const rename = async (from: string, to: string): Promise<void> => {
    if (failRenameOf.suffix && to.endsWith(failRenameOf.suffix)) throw new Error('injected failure');
    return fs.rename(from, to);
  };
  return { ...fs, rename, default: { ...fs, rename } };
});

function smallModel(seed: number): sn.Sequential {
  sn.setSeed(seed);
  const m = sn.sequential([
    sn.layers.dense({ units: 5, activation: 'relu', inputShape: [3] }),
    sn.layers.dense({ units: 2, activation: 'softmax' }),
  ]);
  m.compile({ optimizer: sn.optimizers.sgd(0.1), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

function weightsOf(m: sn.Sequential): number[][] {
  const ws = m.getWeights();
  const out = ws.map((w) => Array.from(w.dataSync()));
  ws.forEach((w) => w.dispose());
  return out;
}

const x = (): sn.Tensor => sn.tensor(Float32Array.from({ length: 24 }, (_, i) => Math.cos(i)), [8, 3]);
const y = (): sn.Tensor => sn.tensor([0, 1, 1, 0, 1, 0, 0, 1], [8]);

beforeAll(async () => {
  await sn.ready();
});

afterEach(() => {
  failRenameOf.suffix = '';
  vi.restoreAllMocks();
});

describe('a disposed model', () => {
  it('throws "was disposed" on every use, and never overwrites a good save', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simdnet-disposed-'));
    const good = smallModel(1);
    await sn.saveToDir(good, dir);
    const savedBytes = await readFile(join(dir, 'weights.bin'));
    const expected = weightsOf(good);
    good.dispose();
    good.dispose(); // twice is harmless
    const xs = x();
    const ys = y();
    const uses: [string, () => unknown][] = [
      ['predict', () => good.predict(xs)],
      ['evaluate', () => good.evaluate(xs, ys)],
      ['getWeights', () => good.getWeights()],
      ['setWeights', () => good.setWeights([])],
      ['countParams', () => good.countParams()],
      ['summary', () => good.summary(() => undefined)],
      ['compile', () => good.compile({ optimizer: 'sgd', loss: 'meanSquaredError' })],
      ['add', () => good.add(sn.layers.dense({ units: 1 }))],
    ];
    for (const [what, use] of uses) expect(use, what).toThrow(/model '.*' was disposed/);
    await expect(good.fit(xs, ys)).rejects.toThrow(/was disposed/);
    await expect(good.trainOnBatch(xs, ys)).rejects.toThrow(/was disposed/);
    await expect(good.save()).rejects.toThrow(/was disposed/);
    await expect(sn.saveToDir(good, dir)).rejects.toThrow(/was disposed/);
    expect(await readFile(join(dir, 'weights.bin'))).toEqual(savedBytes);
    const again = await sn.loadFromDir(dir);
    expect(weightsOf(again)).toEqual(expected);
    again.dispose();
    xs.dispose();
    ys.dispose();
  });

  it('cannot be disposed while fit runs', async () => {
    const m = smallModel(2);
    const xs = x();
    const ys = y();
    let refused = '';
    await m.fit(xs, ys, {
      epochs: 1,
      batchSize: 4,
      callbacks: {
        onBatchEnd: () => {
          try {
            m.dispose();
          } catch (e) {
            refused = (e as Error).message;
          }
        },
      },
    });
    expect(refused).toMatch(/fit\(\) is still running/);
    expect(m.countParams()).toBe(3 * 5 + 5 + 5 * 2 + 2);
    m.dispose();
    xs.dispose();
    ys.dispose();
  });
});

describe('saveToDir', () => {
  it('leaves the previous complete model when the save fails between its two writes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simdnet-atomic-'));
    const first = smallModel(3);
    await sn.saveToDir(first, dir);
    const second = smallModel(4);
    failRenameOf.suffix = 'model.json';
    await expect(sn.saveToDir(second, dir)).rejects.toThrow(/injected failure/);
    failRenameOf.suffix = '';
    // Only the first model's files: no temporary file, no new weights beside the old topology.
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);
    const loaded = await sn.loadFromDir(dir);
    expect(weightsOf(loaded)).toEqual(weightsOf(first));
    loaded.dispose();

    // A later successful save replaces it completely, with exactly one weights file.
    await sn.saveToDir(second, dir);
    const files = (await readdir(dir)).sort();
    expect(files).toHaveLength(2);
    expect(files).toContain('model.json');
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    expect(files).toContain(json.weightsManifest[0].paths[0].replace('./', ''));
    const again = await sn.loadFromDir(dir);
    expect(weightsOf(again)).toEqual(weightsOf(second));
    // And the one after that alternates back, still one model in the folder.
    await sn.saveToDir(first, dir);
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);
    for (const m of [first, second, again]) m.dispose();
  });

  it('runs saves to one folder one after another', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simdnet-concurrent-'));
    const models = [smallModel(5), smallModel(6), smallModel(7)];
    await Promise.all(models.map((m) => sn.saveToDir(m, dir)));
    const loaded = await sn.loadFromDir(dir);
    expect(weightsOf(loaded)).toEqual(weightsOf(models[2]));
    expect((await readdir(dir)).length).toBe(2);
    for (const m of [...models, loaded]) m.dispose();
  });
});

describe('building', () => {
  it('is all-or-nothing: a shape that fails at a later layer leaves no layer built for it', () => {
    const m = sn.sequential([
      sn.layers.conv2d({ filters: 2, kernelSize: 3 }),
      sn.layers.maxPooling2d({ poolSize: 3 }),
      sn.layers.flatten(),
      sn.layers.dense({ units: 2 }),
    ]);
    const bad = sn.tensor(new Float32Array(16), [1, 4, 4, 1]); // conv gives 2x2: the 3x3 pool is empty
    const live = sn.memoryInfo().liveTensors;
    expect(() => m.predict(bad)).toThrow(/max_pooling2d_\d+.*empty output/);
    expect(m.layers.every((l) => !l.built)).toBe(true);
    expect(sn.memoryInfo().liveTensors).toBe(live);
    const good = sn.tensor(new Float32Array(64), [1, 8, 8, 1]);
    const p = m.predict(good);
    expect(p.shape).toEqual([1, 2]);
    for (const t of [p, bad, good]) t.dispose();
    m.dispose();
  });

  it('frees the kernel when the gradient does not fit', () => {
    const live = sn.memoryInfo().liveTensors;
    const zeros = vi.spyOn(Tensor, 'zeros').mockImplementationOnce(() => {
      throw new Error('simdnet: out of wasm memory (injected)');
    });
    const layer = sn.layers.dense({ units: 4 });
    expect(() => layer.build([3])).toThrow(/out of wasm memory/);
    expect(zeros).toHaveBeenCalled();
    expect(layer.built).toBe(false);
    expect(layer.params).toEqual([]);
    expect(sn.memoryInfo().liveTensors).toBe(live);
  });
});

describe('non-finite values stop training loudly', () => {
  it('refuses a NaN or Infinity pixel before training, naming the sample', async () => {
    const m = smallModel(8);
    const before = weightsOf(m);
    const xs = x();
    const v = xs.dataSync();
    v[3 * 3 + 1] = NaN;
    xs.set(v);
    const ys = y();
    await expect(m.fit(xs, ys)).rejects.toThrow(/x must be finite.*sample 3 has NaN/);
    await expect(m.trainOnBatch(xs, ys)).rejects.toThrow(/sample 3 has NaN/);
    expect(() => m.evaluate(xs, ys)).toThrow(/sample 3 has NaN/);
    v[3 * 3 + 1] = -Infinity;
    xs.set(v);
    await expect(m.fit(xs, ys)).rejects.toThrow(/sample 3 has -Infinity/);
    expect(weightsOf(m)).toEqual(before);
    m.dispose();
    xs.dispose();
    ys.dispose();
  });

  it('refuses NaN targets for categorical and MSE losses in fit and evaluate', async () => {
    for (const loss of ['categoricalCrossentropy', 'meanSquaredError'] as const) {
      const m = smallModel(9);
      m.compile({ optimizer: 'sgd', loss });
      const xs = x();
      const t = new Float32Array(16);
      for (let i = 0; i < 8; i++) t[i * 2 + (i % 2)] = 1;
      t[5] = NaN;
      const ys = sn.tensor(t, [8, 2]);
      await expect(m.fit(xs, ys)).rejects.toThrow(/labels must be finite.*sample 2 has NaN/);
      expect(() => m.evaluate(xs, ys)).toThrow(/labels must be finite/);
      m.dispose();
      xs.dispose();
      ys.dispose();
    }
  });

  it('validates hyper-parameters when they are set', () => {
    expect(() => sn.optimizers.adam({ beta1: NaN })).toThrow(/adam: beta1 must be a finite number/);
    expect(() => sn.optimizers.adam({ beta2: 1 })).toThrow(/beta2/);
    expect(() => sn.optimizers.adam({ epsilon: 0 })).toThrow(/epsilon/);
    expect(() => sn.optimizers.rmsprop({ rho: -0.1 })).toThrow(/rho/);
    expect(() => sn.optimizers.sgd({ momentum: Infinity })).toThrow(/momentum/);
    expect(() => sn.optimizers.sgd(NaN)).toThrow(/learningRate/);
    const o = sn.optimizers.sgd(0.1);
    expect(() => {
      o.learningRate = NaN;
    }).toThrow(/learningRate must be a finite number ≥ 0, got NaN/);
    expect(() => {
      o.learningRate = -0.01;
    }).toThrow(/SGD: learningRate must be a finite number ≥ 0, got -0.01/);
    expect(() => sn.optimizers.adam(-1)).toThrow(/Adam: learningRate must be a finite number ≥ 0, got -1/);
    expect(() => sn.optimizers.rmsprop(Infinity)).toThrow(/learningRate/);
    expect(o.learningRate).toBe(0.1);
    o.learningRate = 0.05;
    expect(o.learningRate).toBe(0.05);
    // 0 is a rate (Keras allows it: the weights stay put), as at the end of a cosine decay with alpha 0.
    o.learningRate = 0;
    expect(o.learningRate).toBe(0);
    expect(sn.optimizers.adam(0).learningRate).toBe(0);
  });

  it('stops fit at the first non-finite loss, naming epoch and batch, with the weights from before that batch', async () => {
    const m = smallModel(10);
    m.compile({ optimizer: sn.optimizers.sgd(1e38), loss: 'sparseCategoricalCrossentropy' });
    const xs = x();
    const ys = y();
    let lastGood = weightsOf(m);
    const err = await m
      .fit(xs, ys, { epochs: 5, batchSize: 2, shuffle: false, callbacks: { onBatchEnd: () => void (lastGood = weightsOf(m)) } })
      .then(
        () => null,
        (e: Error) => e,
      );
    expect(err?.message).toMatch(/the loss is (NaN|Infinity|-Infinity) at epoch \d+, batch \d+; training stopped before that batch's update/);
    expect(err!.message.length).toBeLessThan(1000);
    expect(weightsOf(m)).toEqual(lastGood);
    m.dispose();
    xs.dispose();
    ys.dispose();
  });

  it('refuses malformed fit options instead of ignoring them', async () => {
    const m = smallModel(11);
    const xs = x();
    const ys = y();
    const before = weightsOf(m);
    await expect(m.fit(xs, ys, { initialEpoch: -3 })).rejects.toThrow(/initialEpoch must be a non-negative integer, got -3/);
    await expect(m.fit(xs, ys, { initialEpoch: NaN })).rejects.toThrow(/initialEpoch/);
    await expect(m.fit(xs, ys, { validationSplit: NaN })).rejects.toThrow(/validationSplit must be in \(0, 1\), got NaN/);
    await expect(m.fit(xs, ys, { validationData: [xs] as unknown as [sn.Tensor, sn.Tensor] })).rejects.toThrow(/validationData must be \[x, y\]/);
    await expect(m.fit(xs, ys, { callbacks: { onEpochEnd: 3 } as unknown as sn.Callbacks })).rejects.toThrow(/onEpochEnd must be a function/);
    await expect(m.fit(xs, ys, null as unknown as sn.FitArgs)).rejects.toThrow(/options must be an object/);
    expect(weightsOf(m)).toEqual(before);
    m.dispose();
    xs.dispose();
    ys.dispose();
  });
});

describe('model files', () => {
  async function artifactsOf(m: sn.Sequential): Promise<sn.ModelArtifacts> {
    return JSON.parse(JSON.stringify({ ...(await m.save()), weightData: undefined })) as sn.ModelArtifacts;
  }

  it('refuses duplicate and unknown weight names instead of loading by position', async () => {
    const m = smallModel(12);
    const a = await m.save();
    const specs = a.weightSpecs!;
    const dup = { ...a, weightSpecs: specs.map((s, i) => (i === 1 ? { ...s, name: specs[0].name, shape: s.shape } : s)) };
    await expect(sn.loadModel(dup)).rejects.toThrow(new RegExp(`weight '${specs[0].name}' appears twice`));
    const renamed = { ...a, weightSpecs: specs.map((s, i) => (i === 0 ? { ...s, name: 'somewhere_else/kernel' } : s)) };
    await expect(sn.loadModel(renamed)).rejects.toThrow(/weights that match no layer: somewhere_else\/kernel/);
    m.dispose();
  });

  it('names what is wrong in malformed topologies and manifests, in short messages', async () => {
    const m = smallModel(13);
    const base = await m.save();
    const topo = base.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
    for (const cls of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const t = JSON.parse(JSON.stringify(topo));
      t.config.layers[0].class_name = cls;
      await expect(sn.loadModel({ ...base, modelTopology: t })).rejects.toThrow(new RegExp(`has class '${cls}', which simdnet does not support`));
    }
    const withStringDim = { ...base, weightSpecs: base.weightSpecs!.map((s, i) => (i === 0 ? { ...s, shape: ['3', 5] as unknown as number[] } : s)) };
    await expect(sn.loadModel(withStringDim)).rejects.toThrow(/dimensions must be non-negative integers/);
    const dir = await mkdtemp(join(tmpdir(), 'simdnet-manifest-'));
    await sn.saveToDir(m, dir);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    delete json.weightsManifest[0].paths;
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    await expect(sn.loadFromDir(dir)).rejects.toThrow(/weightsManifest\[0\] needs 'paths'/);
    expect((await artifactsOf(m)).format).toBe('layers-model');
    m.dispose();
  });

  it('describes a wrong argument by type and shape, not by its contents', () => {
    const m = smallModel(14);
    const huge = new Float32Array(60000 * 784);
    for (const call of [() => m.predict(huge as unknown as sn.Tensor), () => m.evaluate(huge as unknown as sn.Tensor, huge as unknown as sn.Tensor)]) {
      let message = '';
      try {
        call();
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/x must be a Tensor .*got Float32Array\(47040000\)/);
      expect(message.length).toBeLessThan(200);
    }
    expect(() => m.setWeights(huge as unknown as sn.Tensor[])).toThrow(/but got Float32Array\(47040000\)$/);
    m.dispose();
  });
});

describe('save paths', () => {
  it("save('file://…') decodes %20 as loadModel does; saveToDir takes '%' and '#' in folder names literally", async () => {
    const base = await mkdtemp(join(tmpdir(), 'simdnet-paths-'));
    const m = smallModel(15);
    const spaced = join(base, 'my model');
    await m.save(`file://${spaced.replace(/ /g, '%20')}`);
    expect(await readdir(spaced)).toContain('model.json');
    const odd = join(base, 'a%20b#1');
    await sn.saveToDir(m, odd);
    expect(await readdir(odd)).toContain('model.json');
    const back = await sn.loadFromDir(odd);
    expect(weightsOf(back)).toEqual(weightsOf(m));
    await expect(m.save('https://example.com/model')).rejects.toThrow(/only 'file:\/\/<dir>' paths and file: URLs/);
    await expect(m.save('my-model')).rejects.toThrow(/only 'file:\/\/<dir>' paths/);
    back.dispose();
    m.dispose();
  });
});
