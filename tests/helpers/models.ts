// Models that several tests build.
import * as sn from '../../src/index.js';

/**
 * The MNIST convnet of the benchmarks (bench/models.mjs kerasConvnet): conv 32 → pool → conv 64 (Winograd
 * F(4,3): 9 tiles at batch 1) → pool → dense 10.
 */
export function mnistConvnet(): sn.Sequential {
  const L = sn.layers;
  return sn.sequential([
    L.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
    L.maxPooling2d({ poolSize: 2 }),
    L.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
    L.maxPooling2d({ poolSize: 2 }),
    L.flatten(),
    L.dense({ units: 10, activation: 'softmax' }),
  ]);
}
