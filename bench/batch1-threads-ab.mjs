// Two builds of simdnet, batch-1 predict latency at 1, 2, 4, … threads: for each thread count T, four engines in
// one process (each build on 1 and on T threads), interleaved in blocks (the order reversed every other round),
// medians. Prints each build's T ÷ 1-thread time and B ÷ A at T: on a noisy host, ratios measured side by side.
// The MNIST convnet (25 ms blocks) and, with --mobilenet, MobileNetV2 at 224x224x3 (150 ms blocks).
//
//   node [--experimental-wasm-relaxed-simd] bench/batch1-threads-ab.mjs <dist dir A> <dist dir B> [rounds=15] [max threads=16] [--mobilenet]
// (a dist dir holds a simdnet.js: this repository's dist/, or another commit's, built as bench/compare.mjs says)
import { pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';
import { mobileNetV2 } from './mobilenet-v2.mjs';
import { median as med, perCallSync } from './harness.mjs';
import { kerasConvnet, sequentialOf } from './models.mjs';

const [A, B] = [process.argv[2], process.argv[3]].map((d) => d && pathToFileURL(join(resolve(d), 'simdnet.js')).href);
if (!A || !B) throw new Error('usage: node bench/batch1-threads-ab.mjs <dist dir A> <dist dir B> [rounds] [max threads] [--mobilenet]');
const rounds = Number(process.argv[4] ?? 15);
const maxT = Number(process.argv[5] ?? 16);
const withMn = process.argv.includes('--mobilenet');
const now = () => performance.now();
const block = (f, ms) => 1000 * perCallSync(f, ms); // µs a call
async function setup(dist, tag, threads, model) {
  const sn = await import(`${dist}?${tag}${threads}${model}`);
  await sn.ready({ threads });
  sn.setSeed(3);
  let m, x;
  if (model === 'convnet') {
    m = sequentialOf(sn, kerasConvnet);
    x = sn.tensor(new Float32Array(784).map((_, i) => (i * 7919 % 256) / 255), [1, 28, 28, 1]);
  } else {
    m = mobileNetV2(sn);
    x = sn.tensor(new Float32Array(224 * 224 * 3).map((_, i) => (i * 7919 % 256) / 255), [1, 224, 224, 3]);
  }
  const f = () => { const y = m.predict(x); y.dataSync(); y.dispose(); };
  const t0 = now(); while (now() - t0 < (model === 'convnet' ? 400 : 1500)) f(); // tier-up, governor settled
  return { f, sn, info: sn._internal.engine().threads, m, x };
}
const counts = [1, 2, 4, 8, 16].filter((t) => t <= maxT);
for (const model of withMn ? ['convnet', 'mobilenet'] : ['convnet']) {
  const ms = model === 'convnet' ? 25 : 150;
  const R = model === 'convnet' ? rounds : Math.max(5, rounds >> 1);
  const base = { a: await setup(A, 'a', 1, model), b: await setup(B, 'b', 1, model) };
  const rows = [];
  for (const T of counts.slice(1)) {
    const a = await setup(A, 'a', T, model), b = await setup(B, 'b', T, model);
    const r = { a1: [], aT: [], b1: [], bT: [] };
    const order = [['a1', base.a.f], ['aT', a.f], ['b1', base.b.f], ['bT', b.f]];
    for (let i = 0; i < R; i++) for (const [k, f] of i % 2 ? [...order].reverse() : order) r[k].push(block(f, ms));
    const ratio = (x, y) => med(r[x].map((v, i) => v / r[y][i]));
    rows.push(`${model} T=${T} (${a.info}/${b.info}): µs A 1t ${med(r.a1).toFixed(1)} Tt ${med(r.aT).toFixed(1)} | B 1t ${med(r.b1).toFixed(1)} Tt ${med(r.bT).toFixed(1)} | T÷1: A ${ratio('aT', 'a1').toFixed(3)} B ${ratio('bT', 'b1').toFixed(3)} | B÷A at T ${ratio('bT', 'aT').toFixed(3)}, at 1 ${ratio('b1', 'a1').toFixed(3)}`);
    console.log(rows[rows.length - 1]);
    for (const e of [a, b]) { e.m.dispose(); e.x.dispose(); e.sn.dispose(); }
  }
  for (const e of [base.a, base.b]) { e.m.dispose(); e.x.dispose(); e.sn.dispose(); }
}
