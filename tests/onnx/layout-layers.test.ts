// ChannelsPermute (the NCHW ↔ NHWC boundary layer of ONNX imports) against a float64 reference, and its
// backward against central differences of sum(y · r), on odd shapes (batch 1, H = 1, C not a multiple of 4).
import { beforeAll, describe, expect, test } from 'vitest';
import * as sn from '../../src/index.js';
import { ChannelsPermute } from '../../src/onnx/index.js';
import { numericalGradient } from '../helpers/reference.js';
import { rng } from '../helpers/random.js';

beforeAll(async () => {
  await sn.ready();
});

/** y[n,h,w,c] = x[n,c,h,w] (toNhwc) or y[n,c,h,w] = x[n,h,w,c], in float64. */
function reference(x: Float64Array, shape: number[], toNhwc: boolean): Float64Array {
  const [n, a, b, c] = shape;
  const [C, H, W] = toNhwc ? [a, b, c] : [c, a, b];
  const y = new Float64Array(x.length);
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < C; ch++)
      for (let h = 0; h < H; h++)
        for (let w = 0; w < W; w++) {
          const nchw = ((i * C + ch) * H + h) * W + w;
          const nhwc = ((i * H + h) * W + w) * C + ch;
          if (toNhwc) y[nhwc] = x[nchw];
          else y[nchw] = x[nhwc];
        }
  return y;
}

describe('ChannelsPermute', () => {
  for (const [shape, toNhwc] of [
    [[1, 3, 1, 5], true],
    [[2, 5, 3, 2], true],
    [[2, 1, 4, 3], false],
    [[1, 4, 2, 7], false],
  ] as [number[], boolean][]) {
    test(`${toNhwc ? 'NCHW→NHWC' : 'NHWC→NCHW'} on [${shape}]: forward, and backward by central differences`, () => {
      const layer = new ChannelsPermute(toNhwc);
      layer.build(shape.slice(1));
      const r = rng(shape.reduce((p, d) => p * d, 1));
      const size = shape.reduce((p, d) => p * d, 1);
      const x64 = Float64Array.from({ length: size }, () => r() * 2 - 1);
      const weights = Float64Array.from({ length: size }, () => r() * 2 - 1);
      const node = new sn.Node();
      const x = sn.tensor(Float32Array.from(x64), shape);
      const y = layer.forward(x, node, null as never);
      const want = reference(x64, shape, toNhwc);
      expect(y.shape).toEqual(toNhwc ? [shape[0], shape[2], shape[3], shape[1]] : [shape[0], shape[3], shape[1], shape[2]]);
      expect(Array.from(y.dataSync())).toEqual(Array.from(want, Math.fround));
      // d/dx of sum(y · weights)
      const dy = sn.tensor(Float32Array.from(weights), y.shape);
      const dx = layer.backward(dy, node, null as never, true)!;
      const numeric = numericalGradient((v) => reference(v, shape, toNhwc).reduce((s, yi, i) => s + yi * weights[i], 0), x64, 1e-3);
      const got = dx.dataSync();
      for (let i = 0; i < size; i++) expect(Math.abs(got[i] - numeric[i])).toBeLessThan(1e-6);
      expect(layer.backward(dy, node, null as never, false)).toBeNull();
      [x, y, dy, dx].forEach((t) => t.dispose());
    });
  }

  test('refuses a sample that is not an image, naming the layer', () => {
    expect(() => new ChannelsPermute(true, 'perm_x').build([4, 5])).toThrow(/perm_x \(Permute\) expects a 3-axis sample/);
  });
});
