// Two builds of simdnet, 1 and 2 threads each, training the Keras MNIST convnet at batch 64 (SGD) — or, with
// --mlp, an MLP 784-512-512-10 with Adam (670 k parameters: its optimizer updates are ~10 % of a step): four
// engines in one process, interleaved round by round (the order reversed every other round), 3 steps a sample.
// Prints each engine's 10th-percentile and median step and the B/A ratios; its 2 ÷ 1 thread ratios hold up on a
// noisy host better than separate runs do, since every engine sees the same minutes.
//
//   node [--experimental-wasm-relaxed-simd] bench/threads-ab.mjs <dist dir A> <dist dir B> [rounds=15] [--mlp]
// (a dist dir holds a simdnet.js: this repository's dist/, or another commit's, built as bench/compare.mjs says)
import { pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';
import { loadavg } from 'node:os';

const mlp = process.argv.includes('--mlp');
const [A, B, roundsArg] = process.argv.slice(2).filter((a) => a !== '--mlp');
if (!A || !B) throw new Error('usage: node bench/threads-ab.mjs <dist dir A> <dist dir B> [rounds] [--mlp]');
const rounds = Number(roundsArg ?? 15);
const simd = process.execArgv.some((a) => a.includes('relaxed')) ? 'relaxed' : 'plain';
const xs = new Float32Array(64 * 784).map((_, i) => Math.sin(i * 1.3));
const ys = new Float32Array(64).map((_, i) => i % 10);

/** The model trained, compiled; each library instance builds its own. */
function build(sn) {
  const L = sn.layers;
  if (mlp) {
    const m = sn.sequential([
      L.dense({ inputShape: [784], units: 512, activation: 'relu' }), L.dense({ units: 512, activation: 'relu' }),
      L.dense({ units: 10, activation: 'softmax' }),
    ]);
    m.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.001 }), loss: 'sparseCategoricalCrossentropy' });
    return m;
  }
  const m = sn.sequential({
    layers: [
      L.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }), L.maxPooling2d({ poolSize: 2 }),
      L.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }), L.maxPooling2d({ poolSize: 2 }), L.flatten(),
      L.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  m.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy' });
  return m;
}

const step = {};
for (const [tag, dir] of [['A', A], ['B', B]]) {
  for (const threads of [1, 2]) {
    const sn = await import(`${pathToFileURL(join(resolve(dir), 'simdnet.js')).href}?${tag}${threads}`);
    await sn.ready({ threads, simd });
    sn.setSeed(3);
    const m = build(sn);
    const x = sn.tensor(xs, mlp ? [64, 784] : [64, 28, 28, 1]);
    const y = sn.tensor(ys, [64]);
    step[`${tag}${threads}t`] = () => m.trainOnBatch(x, y);
  }
}
const keys = Object.keys(step);
const times = Object.fromEntries(keys.map((k) => [k, []]));
for (let r = 0; r < rounds; r++) {
  for (const k of r % 2 ? [...keys].reverse() : keys) {
    await step[k]();
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) await step[k]();
    times[k].push((performance.now() - t0) / 3);
  }
}
const q = (a, p) => [...a].sort((x, y) => x - y)[Math.floor(p * (a.length - 1))];
for (const k of keys) console.log(`${k} p10 ${q(times[k], 0.1).toFixed(2)} ms, median ${q(times[k], 0.5).toFixed(2)} ms`);
const ratio = (a, b) => `median of per-round ratios ${q(times[a].map((x, i) => x / times[b][i]), 0.5).toFixed(3)}, of p10s ${(q(times[a], 0.1) / q(times[b], 0.1)).toFixed(3)}`;
console.log(`${simd}: B/A 1 thread: ${ratio('B1t', 'A1t')}; B/A 2 threads: ${ratio('B2t', 'A2t')}`);
for (const t of ['A', 'B']) console.log(`${t}: 2 threads ÷ 1 thread speed, p10s ${(q(times[`${t}1t`], 0.1) / q(times[`${t}2t`], 0.1)).toFixed(2)}×, medians ${(q(times[`${t}1t`], 0.5) / q(times[`${t}2t`], 0.5)).toFixed(2)}×`);
console.log(`load average ${loadavg()[0].toFixed(2)}`);
process.exit(0);
