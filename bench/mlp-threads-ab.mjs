// Two builds of simdnet, 1 and 2 threads each, training an MLP 784-512-512-10 (670 k parameters: its Adam
// updates are ~10 % of a step) at batch 64: four engines in one process, interleaved round by round (the
// order reversed every other round), 5 steps a sample. Prints each engine's median step, B/A at 1 and 2
// threads (medians of per-round ratios) and each build's 2 ÷ 1 thread speed-up.
//
//   node [--experimental-wasm-relaxed-simd] bench/mlp-threads-ab.mjs <dist dir A> <dist dir B> [rounds=20]
// (a dist dir holds a simdnet.js: this repository's dist/, or another commit's, built as bench/compare.mjs says)
import { pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';

const [A, B] = [process.argv[2], process.argv[3]];
if (!A || !B) throw new Error('usage: node bench/mlp-threads-ab.mjs <dist dir A> <dist dir B> [rounds]');
const rounds = Number(process.argv[4] ?? 20);
const simd = process.execArgv.some((a) => a.includes('relaxed')) ? 'relaxed' : 'plain';
const step = {};
for (const [tag, dir] of [['A', A], ['B', B]]) {
  for (const threads of [1, 2]) {
    const sn = await import(`${pathToFileURL(join(resolve(dir), 'simdnet.js')).href}?${tag}${threads}`);
    await sn.ready({ threads, simd });
    sn.setSeed(3);
    const L = sn.layers;
    const m = sn.sequential([
      L.dense({ inputShape: [784], units: 512, activation: 'relu' }),
      L.dense({ units: 512, activation: 'relu' }),
      L.dense({ units: 10, activation: 'softmax' }),
    ]);
    m.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.001 }), loss: 'sparseCategoricalCrossentropy' });
    const x = sn.tensor(new Float32Array(64 * 784).map((_, i) => Math.sin(i)), [64, 784]);
    const y = sn.tensor(new Float32Array(64).map((_, i) => i % 10), [64]);
    step[`${tag}${threads}`] = () => m.trainOnBatch(x, y);
    for (let i = 0; i < 5; i++) await step[`${tag}${threads}`]();
  }
}
const keys = Object.keys(step);
const times = Object.fromEntries(keys.map((k) => [k, []]));
for (let r = 0; r < rounds; r++) {
  for (const k of r % 2 ? [...keys].reverse() : keys) {
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) await step[k]();
    times[k].push((performance.now() - t0) / 5);
  }
}
const median = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
const ratio = (b, a) => median(times[b].map((v, i) => v / times[a][i]));
console.log(`${simd}: median step ${keys.map((k) => `${k}t ${median(times[k]).toFixed(2)} ms`).join(', ')}`);
console.log(`B/A 1 thread ${ratio('B1', 'A1').toFixed(3)}, 2 threads ${ratio('B2', 'A2').toFixed(3)}; ` +
  `2 threads ÷ 1 thread speed: A ${(1 / ratio('A2', 'A1')).toFixed(2)}×, B ${(1 / ratio('B2', 'B1')).toFixed(2)}×`);
process.exit(0);
