// model.fitDataset as TF.js: a dataset (iterator() → next() promises) or any (async) iterable of { xs, ys };
// fresh iterators per epoch unless batchesPerEpoch; batch tensors disposed after their step; the same
// training as fit on the same batches; memory flat over 50 epochs.
import { describe, it, expect, beforeAll, vi } from 'vitest';
import * as sn from '../../src/index.js';

beforeAll(async () => {
  await sn.ready();
});

const ROWS = 12;
const X = Array.from({ length: ROWS * 3 }, (_, i) => Math.sin(i * 0.37));
const Y = Array.from({ length: ROWS }, (_, i) => i % 2);

/** Batches of `size` rows, in order, as fresh tensors (the consumer owns them). */
function* batches(size: number): Generator<sn.DatasetBatch> {
  for (let at = 0; at < ROWS; at += size) {
    const n = Math.min(size, ROWS - at);
    yield { xs: sn.tensor(X.slice(at * 3, (at + n) * 3), [n, 3]), ys: sn.tensor(Y.slice(at, at + n), [n, 1]) };
  }
}

/** A TF.js-style dataset: iterator() resolves to an object whose next() returns promises. */
function dataset(size: number): sn.DatasetLike & { iterators: number } {
  const d = {
    iterators: 0,
    iterator: async () => {
      d.iterators++;
      const g = batches(size);
      return { next: async () => g.next() };
    },
  };
  return d;
}

function makeModel(): sn.Sequential {
  sn.setSeed(5);
  const m = sn.sequential([sn.layers.dense({ units: 6, activation: 'tanh', inputShape: [3] }), sn.layers.dense({ units: 1, activation: 'sigmoid' })]);
  m.compile({ optimizer: sn.optimizers.adam(0.01), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  return m;
}

describe('fitDataset', () => {
  it('trains exactly as fit does on the same batches (unshuffled), and disposes every batch tensor', async () => {
    const a = makeModel();
    const b = makeModel();
    const x = sn.tensor(X, [ROWS, 3]);
    const y = sn.tensor(Y, [ROWS, 1]);
    const d = dataset(5);
    const made: sn.Tensor[] = [];
    const tracked: sn.DatasetLike = {
      iterator: async () => {
        const it = await d.iterator();
        return {
          next: async () => {
            const r = await it.next();
            if (!r.done) made.push(r.value.xs as sn.Tensor, r.value.ys as sn.Tensor);
            return r;
          },
        };
      },
    };
    const hd = await a.fitDataset(tracked, { epochs: 3 });
    expect(d.iterators).toBe(3); // a fresh iterator per epoch
    expect(made.length).toBe(3 * 3 * 2);
    expect(made.every((t) => t.isDisposed)).toBe(true);
    const hf = await b.fit(x, y, { epochs: 3, batchSize: 5, shuffle: false });
    expect(hd.epoch).toEqual([0, 1, 2]);
    hd.history.loss.forEach((l, i) => expect(l).toBeCloseTo(hf.history.loss[i], 6));
    hd.history.acc!.forEach((l, i) => expect(l).toBeCloseTo(hf.history.acc![i], 6));
    const wa = a.getWeights();
    const wb = b.getWeights();
    wa.forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(wb[i].dataSync())));
    [...wa, ...wb, x, y].forEach((t) => t.dispose());
    a.dispose();
    b.dispose();
  });

  it('takes sync and async iterables; batchesPerEpoch keeps one iterator across epochs and stops when it runs out', async () => {
    const m = makeModel();
    const h1 = await m.fitDataset(batches(4) as Iterable<sn.DatasetBatch>, { epochs: 1 });
    expect(h1.epoch).toEqual([0]);
    async function* slow(): AsyncGenerator<sn.DatasetBatch> {
      for (const b of batches(3)) {
        await new Promise((r) => setTimeout(r, 1));
        yield b;
      }
    }
    const seen: number[] = [];
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    // 4 batches in all, 3 per epoch: epoch 0 takes 3, epoch 1 gets 1 and the iterator runs out.
    const h2 = await m.fitDataset(slow(), { epochs: 5, batchesPerEpoch: 3, callbacks: { onBatchEnd: (batch) => void seen.push(batch) } });
    expect(seen).toEqual([0, 1, 2, 0]);
    expect(h2.epoch).toEqual([0, 1]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/ran out after 1 of 3 batches in epoch 1/);
    warn.mockRestore();
    m.dispose();
  });

  it('validationData as tensors or as a dataset gives the same val_loss; callbacks such as earlyStopping work', async () => {
    const m = makeModel();
    const x = sn.tensor(X, [ROWS, 3]);
    const y = sn.tensor(Y, [ROWS, 1]);
    const h = await m.fitDataset(dataset(4), { epochs: 2, validationData: [x, y], callbacks: [{ onEpochEnd: (_e, logs) => void (logs.copy = logs.val_loss) }] });
    const m2 = makeModel();
    const h2 = await m2.fitDataset(dataset(4), { epochs: 2, validationData: dataset(5) });
    h.history.val_loss!.forEach((v, i) => expect(h2.history.val_loss![i]).toBeCloseTo(v, 5));
    h.history.val_acc!.forEach((v, i) => expect(h2.history.val_acc![i]).toBeCloseTo(v, 6));
    expect(h.history.copy).toEqual(h.history.val_loss);
    const es = sn.callbacks.earlyStopping({ monitor: 'loss', patience: 0 });
    const script = { onEpochEnd: (e: number, logs: sn.Logs) => void (logs.loss = [1, 2, 3][e] ?? 0) };
    const h3 = await m.fitDataset(dataset(6), { epochs: 10, callbacks: [script, es] });
    expect(h3.epoch).toEqual([0, 1]);
    [x, y].forEach((t) => t.dispose());
    m.dispose();
    m2.dispose();
  });

  it('keeps sn.memoryInfo() flat over 50 epochs of fresh batch tensors', async () => {
    const m = makeModel();
    await m.fitDataset(dataset(5), { epochs: 1 }); // first epoch: optimizer state, arena
    const before = sn.memoryInfo();
    const sizes: number[] = [];
    await m.fitDataset(dataset(5), { epochs: 50, callbacks: { onEpochEnd: () => void sizes.push(sn.memoryInfo().wasmBytes) } });
    const after = sn.memoryInfo();
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.wasmBytes).toBe(before.wasmBytes);
    expect(new Set(sizes).size).toBe(1);
    m.dispose();
  });

  it('errors: bad datasets and batches name what they got; a failing step still disposes its batch', async () => {
    const m = makeModel();
    await expect(m.fitDataset(42 as unknown as sn.DatasetLike, { epochs: 1 })).rejects.toThrow(/fitDataset: expects a dataset \(with iterator\(\)\) or an iterable of \{ xs, ys \}, got 42/);
    await expect(m.fitDataset([[1, 2]] as unknown as Iterable<sn.DatasetBatch>, { epochs: 1 })).rejects.toThrow(/must yield objects \{ xs, ys \}, but batch 0 of epoch 0 is/);
    await expect(m.fitDataset(dataset(4), {} as sn.FitDatasetArgs)).rejects.toThrow(/epochs must be a positive integer \(TF.js requires it\), got undefined/);
    await expect(m.fitDataset([], { epochs: 1 })).rejects.toThrow(/yielded no batches in epoch 0/);
    const live = sn.memoryInfo().liveTensors;
    const wrong = [{ xs: sn.tensor([1, 2], [1, 2]), ys: sn.tensor([1], [1, 1]) }];
    await expect(m.fitDataset(wrong, { epochs: 1 })).rejects.toThrow(/expects input shape \[null,3\] but got \[1,2\]/);
    expect(sn.memoryInfo().liveTensors).toBe(live); // the batch's two tensors are gone
    m.dispose();
  });
});
