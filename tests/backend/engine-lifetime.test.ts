// The engine's lifetime (issue 10, items 1 and 4): re-calling ready() with other options, concurrent ready()
// calls and sn.dispose() are never silent. Switching engines is refused while tensors are alive; tensors of
// a replaced or disposed engine throw on every use (and disposing them is a no-op), so they can never read
// or write the new engine's memory. reshapeView views die with their owner, arena tensors with the reset.
import { describe, it, expect, afterEach } from 'vitest';
import * as sn from '../../src/index.js';
import { engine } from '../../src/backend/engine.js';
import { Arena } from '../../src/backend/arena.js';

afterEach(() => sn.dispose());

const values = (n: number, scale: number) => Float32Array.from({ length: n }, (_, i) => (i + 1) * scale);

describe('ready() with other options', () => {
  it('refuses to switch engines while a tensor is alive, naming how many and what to do', async () => {
    await sn.ready({ threads: 2, simd: 'plain' });
    const a = sn.tensor(values(8, 1), [8]);
    const b = sn.tensor(values(8, 2), [8]);
    await expect(sn.ready({ threads: 1 })).rejects.toThrow(/cannot switch .* while 2 tensors are alive.*dispose/);
    await expect(sn.ready({ simd: 'relaxed' })).rejects.toThrow(/2 tensors are alive/);
    // Nothing changed: the same engine runs and the tensors hold their values.
    expect(engine().info.threads).toBe(2);
    expect(Array.from(a.dataSync())).toEqual(Array.from(values(8, 1)));
    a.dispose();
    b.dispose();
    const info = await sn.ready({ threads: 1 });
    expect(info.threads).toBe(1);
    expect(engine().info).toBe(info);
  });

  it('treats ready() without options as "make sure it runs": the running engine and its tensors stay', async () => {
    const first = await sn.ready({ threads: 2, simd: 'plain' });
    const t = sn.tensor(values(4, 3), [4]);
    const again = await sn.ready();
    expect(again).toBe(first);
    expect(again.threads).toBe(2);
    // An option left out keeps what runs.
    expect((await sn.ready({ simd: 'plain' })).threads).toBe(2);
    expect(Array.from(t.dataSync())).toEqual(Array.from(values(4, 3)));
    t.dispose();
  });

  it('serialises concurrent calls: each promise reports an engine that really ran, the last one runs', async () => {
    const [two, one] = await Promise.all([sn.ready({ threads: 2, simd: 'plain' }), sn.ready({ threads: 1, simd: 'plain' })]);
    expect(two.threads).toBe(2);
    expect(one.threads).toBe(1);
    expect(engine().info).toBe(one);
    expect(sn.memoryInfo().liveTensors).toBe(0);
  });

  it('refuses a queued switch when a tensor was made on the engine the first call started', async () => {
    const first = sn.ready({ threads: 2, simd: 'plain' });
    const second = sn.ready({ threads: 1, simd: 'plain' });
    await first;
    const t = sn.tensor(values(16, 1), [16]);
    await expect(second).rejects.toThrow(/1 tensor is alive/);
    expect(engine().info.threads).toBe(2);
    expect(t.dataSync()[15]).toBe(16);
    t.dispose();
  });
});

describe('sn.dispose() then ready()', () => {
  it('starts a fresh engine; old tensors throw on every use and their dispose frees nothing new', async () => {
    await sn.ready({ threads: 2, simd: 'plain' });
    const old = sn.tensor(values(64, 1), [64]);
    const oldView = old.reshapeView([8, 8]);
    sn.dispose();
    await sn.ready({ threads: 2, simd: 'plain' });
    // liveTensors counts the running engine only.
    expect(sn.memoryInfo().liveTensors).toBe(0);
    const fresh = sn.tensor(values(64, 5), [64]);
    const stale = /belongs to an engine that was replaced or disposed/;
    expect(() => old.ptr).toThrow(stale);
    expect(() => old.dataSync()).toThrow(stale);
    expect(() => oldView.dataSync()).toThrow(stale);
    expect(() => old.set(values(64, 9))).toThrow(stale);
    expect(() => old.clone()).toThrow(stale);
    expect(() => sn.ops.activationForward(old, fresh, 1)).toThrow(stale);
    expect(() => sn.ops.activationForward(fresh, old, 1)).toThrow(stale);
    expect(old.isDisposed).toBe(true);
    // Disposing the stale tensor must not free the block the fresh tensor now occupies.
    old.dispose();
    expect(sn.memoryInfo().liveTensors).toBe(1);
    const next = sn.tensor(values(64, 7), [64]);
    expect(next.ptr).not.toBe(fresh.ptr);
    expect(Array.from(fresh.dataSync())).toEqual(Array.from(values(64, 5)));
    fresh.dispose();
    next.dispose();
    expect(sn.memoryInfo().liveTensors).toBe(0);
  });

  it('a model made before sn.dispose() refuses to run after it instead of computing on zeros', async () => {
    await sn.ready({ simd: 'plain' });
    const model = sn.sequential([sn.layers.dense({ units: 3, inputShape: [4] })]);
    sn.dispose();
    await sn.ready({ simd: 'plain' });
    const x = sn.tensor(values(8, 0.1), [2, 4]);
    expect(() => model.predict(x)).toThrow(/replaced or disposed/);
    expect(sn.memoryInfo().liveTensors).toBe(1);
    x.dispose();
  });
});

describe('reshapeView lifetime', () => {
  it('dies with its owner: reading or writing through it after the owner is disposed throws', async () => {
    await sn.ready();
    const owner = sn.tensor(values(6, 1), [2, 3]);
    const view = owner.reshapeView([3, 2]);
    const viewOfView = view.reshapeView([6]);
    expect(viewOfView.dataSync()[5]).toBe(6);
    const live = sn.memoryInfo().liveTensors;
    owner.dispose();
    expect(sn.memoryInfo().liveTensors).toBe(live - 1);
    // Another tensor now takes the freed block: the views must not see or touch it.
    const other = sn.tensor(values(6, 10), [6]);
    expect(() => view.dataSync()).toThrow(/reshapeView of tensor \[2,3\], which was disposed/);
    expect(() => viewOfView.set(values(6, 0))).toThrow(/which was disposed/);
    expect(() => sn.ops.activationForward(other, view, 1)).toThrow(/which was disposed/);
    expect(view.isDisposed).toBe(true);
    view.dispose();
    expect(Array.from(other.dataSync())).toEqual(Array.from(values(6, 10)));
    other.dispose();
  });

  it('disposing a view frees nothing and leaves its owner usable', async () => {
    await sn.ready();
    const owner = sn.tensor(values(4, 1), [4]);
    const before = sn.memoryInfo().liveTensors;
    const view = owner.reshapeView([2, 2]);
    expect(sn.memoryInfo().liveTensors).toBe(before);
    view.dispose();
    expect(() => view.dataSync()).toThrow(/after dispose/);
    expect(Array.from(owner.dataSync())).toEqual([1, 2, 3, 4]);
    owner.dispose();
  });

  it('an arena tensor and its views die with the arena reset', async () => {
    await sn.ready();
    const arena = new Arena();
    const t = sn.Tensor.zeros([4, 4], arena);
    const view = t.reshapeView([16]);
    expect(view.dataSync()[0]).toBe(0);
    arena.reset();
    expect(() => t.dataSync()).toThrow(/arena that was reset/);
    expect(() => view.dataSync()).toThrow(/arena that was reset/);
    const again = sn.Tensor.zeros([4, 4], arena);
    expect(again.dataSync()[0]).toBe(0);
    arena.reset();
  });
});
