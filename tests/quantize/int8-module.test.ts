// The int8 kernels are a wasm module of their own (assembly/int8.ts), which simdnet/quantize loads onto the
// running engine (Engine.extend): not in the main module, loaded once per engine, loaded into the workers of a
// threaded engine (whose pool restarts with it), and a 2-thread engine then gives 1 thread's bytes.
import { describe, it, expect, afterAll, vi } from 'vitest';
import * as sn from '../../src/index.js';
import { engine, type KernelCall } from '../../src/backend/engine.js';
import { quantize, loadQuantizedModel, int8Kernel } from '../../src/quantize/index.js';
import { loadInt8Kernels } from '../../src/quantize/int8-module.js';
import { rng } from '../helpers/random.js';

const L = sn.layers;

function images(n: number, shape: number[], seed: number): sn.Tensor {
  const r = rng(seed);
  return sn.tensor(Float32Array.from({ length: n * shape.reduce((a, b) => a * b, 1) }, () => r()), [n, ...shape]);
}

afterAll(async () => {
  sn.dispose();
  await sn.ready({ threads: 1 });
});

describe('the int8 kernel module', () => {
  it('is not in the main module; loads once per engine, on demand', async () => {
    sn.dispose();
    await sn.ready({ threads: 1, simd: 'plain' });
    const e = engine();
    expect(e.kernels.int8_gemm).toBeUndefined();
    expect(() => int8Kernel()).toThrow(/int8Kernel: the int8 kernels are not loaded on this engine yet/);
    await Promise.all([loadInt8Kernels(), loadInt8Kernels()]);
    const kernels = e.kernels;
    expect(typeof kernels.int8_gemm).toBe('function');
    expect(typeof kernels.gemm_f32).toBe('function');
    await loadInt8Kernels();
    expect(e.kernels).toBe(kernels); // not instantiated again
    expect(int8Kernel()).toBe('dot16');
    // A new engine starts without them; quantize() loads them again.
    sn.dispose();
    await sn.ready({ threads: 1, simd: 'plain' });
    expect(engine().kernels.int8_gemm).toBeUndefined();
    const model = sn.sequential([L.dense({ units: 3, inputShape: [4] })]);
    const x = images(2, [4], 1);
    const q = await quantize(model, { calibration: x });
    expect(typeof engine().kernels.int8_gemm).toBe('function');
    for (const d of [q, model, x]) d.dispose();
  });

  it('loads into the workers of a 2-thread engine, whose int8 calls split and give 1 thread\'s bytes', async () => {
    sn.dispose();
    await sn.ready({ threads: 1, simd: 'plain' });
    const model = sn.sequential([
      L.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [14, 13, 5] }),
      L.conv2d({ filters: 24, kernelSize: 3, activation: 'relu' }),
      L.maxPooling2d({ poolSize: 2 }),
      L.flatten(),
      L.dense({ units: 10 }),
    ]);
    const calibration = images(32, [14, 13, 5], 2);
    const q1 = await quantize(model, { calibration });
    const x = images(64, [14, 13, 5], 3);
    const y1 = q1.predict(x);
    const want = y1.dataSync().slice();
    const artifacts = await q1.save();
    for (const d of [q1, model, calibration, x, y1]) d.dispose();

    sn.dispose();
    const info = await sn.ready({ threads: 2, simd: 'plain' });
    expect(info.threads).toBe(2);
    const e = engine();
    const parallel = vi.spyOn(e, 'parallel');
    // The pool started with the main module only: loading the quantized model restarts it with both.
    const q2 = await loadQuantizedModel(artifacts);
    const x2 = images(64, [14, 13, 5], 3);
    const y2 = q2.predict(x2);
    expect(Array.from(y2.dataSync())).toEqual(Array.from(want));
    const split = parallel.mock.calls.map(([calls]) => calls as readonly KernelCall[]).filter((calls) => calls.length > 1 && calls[0][0].startsWith('int8_'));
    expect(split.length).toBeGreaterThan(0);
    parallel.mockRestore();
    for (const d of [q2, x2, y2]) d.dispose();
  });
});
