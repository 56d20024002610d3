// Outputs that share memory with inputs (issue 10 item 8): refused where the kernel reads an input after
// it started writing the output (GEMM, convolution, pooling, losses, optimizers), allowed exactly in place
// for elementwise kernels — which must then still compute the right values.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as sn from '../../src/index.js';

const { ops } = sn;

beforeAll(async () => {
  await sn.ready({ simd: 'plain' });
});
afterAll(() => sn.dispose());

const seq = (n: number, scale = 0.1) => Float32Array.from({ length: n }, (_, i) => ((i % 7) - 3) * scale);

describe('aliasing between outputs and inputs', () => {
  it('matmul(a, a, a) and a product written into a view of its input are refused, and nothing is written', () => {
    const live = sn.memoryInfo().liveTensors;
    const a = sn.tensor(seq(16), [4, 4]);
    const before = a.dataSync();
    expect(() => ops.matmul(a, a, a)).toThrow(/matmul: output c \[4,4\] shares memory with input a \[4,4\]/);
    const b = sn.tensor(seq(16, 0.2), [4, 4]);
    expect(() => ops.matmul(b, a, a.reshapeView([4, 4]))).toThrow(/shares memory with input b|shares memory with input a/);
    expect(() => ops.matmul(a, b, b, { accumulate: true })).toThrow(/output c .* shares memory with input b/);
    expect(Array.from(a.dataSync())).toEqual(Array.from(before));
    // Separate tensors still work.
    const c = sn.Tensor.empty([4, 4]);
    ops.matmul(a, b, c);
    expect(c.dataSync()[0]).toBeCloseTo([0, 1, 2, 3].reduce((s, k) => s + before[k] * b.dataSync()[k * 4], 0), 5);
    for (const t of [a, b, c]) t.dispose();
    expect(sn.memoryInfo().liveTensors).toBe(live);
  });

  it('dense, convolution, pooling and optimizer kernels refuse an aliased output', () => {
    const x = sn.tensor(seq(2 * 4 * 4 * 2), [2, 4, 4, 2]);
    const w = sn.tensor(seq(1 * 1 * 2 * 2), [1, 1, 2, 2]);
    const g = { strideH: 1, strideW: 1, padTop: 0, padBottom: 0, padLeft: 0, padRight: 0, dilationH: 1, dilationW: 1 };
    expect(() => ops.conv2dForward(x, w, null, x, g)).toThrow(/conv2dForward: output y \[2,4,4,2\] shares memory with input x/);
    const dw = sn.Tensor.empty([1, 1, 2, 2]);
    expect(() => ops.conv2dBackward(x, w, x, null, w, null, g)).toThrow(/conv2dBackward: output dw .* shares memory with input w/);
    expect(() => ops.conv2dBackward(x, w, x, x, dw, null, g)).toThrow(/output dx .* shares memory with input x/);
    const x2 = x.reshapeView([8, 8]);
    const w2 = sn.tensor(seq(64), [8, 8]);
    expect(() => ops.denseForward(x2, w2, null, x2)).toThrow(/denseForward: output y \[8,8\] shares memory with input x/);
    const pool = { poolH: 2, poolW: 2, strideH: 2, strideW: 2, padTop: 0, padBottom: 0, padLeft: 0, padRight: 0 };
    const y = sn.Tensor.empty([2, 2, 2, 2]);
    expect(() => ops.maxPool2dForward(x, y, y, pool)).toThrow(/maxPool2dForward: outputs y \[2,2,2,2\] and argmax \[2,2,2,2\] share memory/);
    const logits = sn.tensor(seq(6), [2, 3]);
    const labels = sn.tensor([0, 2], [2]);
    // Loss gradients may be written over their input exactly (in place), as the loss tests check.
    expect(() => ops.softmaxCrossEntropySparse(logits, labels, logits)).not.toThrow();
    const m = sn.Tensor.zeros([2, 3]);
    const v = sn.Tensor.zeros([2, 3]);
    expect(() => ops.adamUpdate(logits, logits, m, v, 0.1)).toThrow(/adamUpdate: output w .* shares memory with input g/);
    const g2 = sn.tensor(seq(6), [2, 3]);
    expect(() => ops.adamUpdate(logits, g2, m, m, 0.1)).toThrow(/adamUpdate: outputs m \[2,3\] and v \[2,3\] share memory/);
    g2.dispose();
    for (const t of [x, w, dw, w2, y, logits, labels, m, v]) t.dispose();
  });

  it('elementwise kernels still run exactly in place, with the right values', () => {
    const vals = seq(40, 0.5);
    const x = sn.tensor(vals, [40]);
    ops.activationForward(x, x, 1);
    expect(Array.from(x.dataSync())).toEqual(Array.from(vals, (v) => Math.max(v, 0)));
    const dy = sn.tensor(seq(40, 1), [40]);
    ops.activationBackward(x, dy, dy, 1);
    expect(Array.from(dy.dataSync())).toEqual(Array.from(seq(40, 1), (d, i) => (vals[i] > 0 ? d : 0)));
    const a = sn.tensor(seq(40, 2), [40]);
    ops.addInto(a, a, a);
    expect(a.dataSync()[3]).toBeCloseTo(2 * seq(40, 2)[3], 6);
    for (const t of [x, dy, a]) t.dispose();
  });
});
