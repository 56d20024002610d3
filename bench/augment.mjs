// What the augmentation layers cost per training step (issue 14): the MNIST convnet (Conv 32@3x3, pool,
// Conv 64@3x3, pool, dropout, dense) trained on batches of 64 with and without randomTranslation +
// randomRotation + randomZoom at its input, interleaved rounds so both see the machine in the same
// minutes; plus the three warps alone (one training forward each, the wasm kernel), per batch.
//
//   npm run bench -- augment [--rounds=R] [--steps=S] [--threads=T]
import { median } from './harness.mjs';

function augmentation(sn) {
  const L = sn.layers;
  return [
    L.randomTranslation({ heightFactor: 0.1, widthFactor: 0.1, fillMode: 'constant', inputShape: [28, 28, 1] }),
    L.randomRotation({ factor: 0.04, fillMode: 'constant' }),
    L.randomZoom({ heightFactor: 0.1, fillMode: 'constant' }),
  ];
}

function convnet(sn, augment) {
  const L = sn.layers;
  const m = sn.sequential([
    ...(augment ? augmentation(sn) : []),
    L.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
    L.maxPooling2d({ poolSize: 2 }),
    L.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
    L.maxPooling2d({ poolSize: 2 }),
    L.flatten(),
    L.dropout({ rate: 0.5 }),
    L.dense({ units: 10, activation: 'softmax' }),
  ]);
  m.compile({ optimizer: sn.optimizers.adam({ learningRate: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

/** ms per training step of `steps` batches of 64 (after one warm-up epoch). */
async function stepMs(sn, model, x, y, steps) {
  await model.fit(x, y, { epochs: 1, batchSize: 64, shuffle: false, verbose: 0 });
  const t0 = performance.now();
  await model.fit(x, y, { epochs: 1, batchSize: 64, shuffle: false, verbose: 0 });
  return (performance.now() - t0) / steps;
}

/** ms for the three warps' training forward on one batch of 64 (median of 20). */
function warpMs(sn, x64) {
  const layers = augmentation(sn);
  for (const l of layers) l.build([28, 28, 1]);
  const times = [];
  for (let r = 0; r < 21; r++) {
    const t0 = performance.now();
    for (const l of layers) {
      const node = new sn.Node();
      node.training = true;
      l.forward(x64, node, null).dispose();
    }
    if (r > 0) times.push(performance.now() - t0);
  }
  return median(times);
}

export async function runAugmentBench(sn, { rounds = 3, steps = 20, threads = 1, log = console.log } = {}) {
  const info = await sn.ready({ threads });
  sn.setSeed(1);
  const n = 64 * steps;
  const xs = new Float32Array(n * 784);
  for (let i = 0; i < xs.length; i++) xs[i] = ((i * 2654435761) >>> 0) / 2 ** 32;
  const x = sn.tensor(xs, [n, 28, 28, 1]);
  const y = sn.tensor(Float32Array.from({ length: n }, (_, i) => i % 10), [n]);
  const x64 = sn.tensor(xs.subarray(0, 64 * 784), [64, 28, 28, 1]);
  const plain = [];
  const augmented = [];
  const warps = [];
  for (let r = 0; r < rounds; r++) {
    for (const [augment, into] of [[false, plain], [true, augmented]]) {
      const m = convnet(sn, augment);
      into.push(await stepMs(sn, m, x, y, steps));
      m.dispose();
    }
    warps.push(warpMs(sn, x64));
    log(`  round ${r + 1}/${rounds}: step ${plain.at(-1).toFixed(2)} ms plain, ${augmented.at(-1).toFixed(2)} ms with augmentation; warps alone ${warps.at(-1).toFixed(3)} ms`);
  }
  for (const t of [x, y, x64]) t.dispose();
  const result = {
    build: info.build,
    threads: info.threads,
    batch: 64,
    stepsPerRound: steps,
    rounds,
    plainStepMs: median(plain),
    augmentedStepMs: median(augmented),
    warpsMs: median(warps),
  };
  result.overheadPercent = (100 * (result.augmentedStepMs - result.plainStepMs)) / result.plainStepMs;
  result.warpsPercentOfStep = (100 * result.warpsMs) / result.plainStepMs;
  return result;
}

export function augmentTable(r) {
  return [
    `MNIST convnet training step, batch 64, ${r.build}, ${r.threads} thread${r.threads > 1 ? 's' : ''} (medians of ${r.rounds} interleaved rounds of ${r.stepsPerRound} steps)`,
    '',
    '| | ms per step |',
    '|---|---|',
    `| no augmentation | ${r.plainStepMs.toFixed(2)} |`,
    `| randomTranslation + randomRotation + randomZoom | ${r.augmentedStepMs.toFixed(2)} (${r.overheadPercent >= 0 ? '+' : ''}${r.overheadPercent.toFixed(1)} %) |`,
    `| the three warps alone (training forward) | ${r.warpsMs.toFixed(3)} (${r.warpsPercentOfStep.toFixed(1)} % of a step) |`,
  ].join('\n');
}
