// Issue 13: the Keras MNIST convnet's inference before/after the Winograd path, against TF.js wasm, and
// batch-1 latency on 2 threads vs 1 — all interleaved round by round, medians reported.
//
//   npm run bench -- winograd [--rounds=R]
//   node [--experimental-wasm-relaxed-simd] bench/winograd.mjs [--rounds=R]
//
// "before" forces every conv onto the direct/im2col kernel (sn.ops.forceConv2dPath('kernel')), "after" is
// the measured choice (the 64-filter 3x3 conv goes to Winograd F(2x2,3x3)). Same weights in every library;
// outputs are compared before anything is timed.
import { pathToFileURL, fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { loadTfjsWasm } from './kernels.mjs';
import { median, perCallSync as perCall, values } from './harness.mjs';
import { kerasConvnet, sequentialOf } from './models.mjs';

const here = dirname(fileURLToPath(import.meta.url));



// Keras MNIST convnet: [shape, fan-in] of each weight, in Keras order.
const WEIGHTS = [[[3, 3, 1, 32], 9], [[32], 0], [[3, 3, 32, 64], 288], [[64], 0], [[1600, 10], 1600], [[10], 0]];

/** The convnet of `lib` (simdnet or TF.js) with the given weights. */
function withWeights(lib, weights) {
  const m = sequentialOf(lib, kerasConvnet);
  const ts = weights.map((w, i) => lib.tensor(w, WEIGHTS[i][0]));
  m.setWeights(ts);
  ts.forEach((t) => t.dispose());
  return m;
}

export async function runWinogradBench(sn, { rounds = 5, minMs = 300, log = console.log } = {}) {
  const weights = WEIGHTS.map(([shape, fanIn], i) => values(shape.reduce((a, b) => a * b, 1), 7 + i, fanIn ? 2 * Math.sqrt(3 / fanIn) : 0.2));
  const x64 = values(64 * 784, 99, 2);
  const tf = await loadTfjsWasm();
  const info = await sn.ready({ threads: 1 });
  const build = info.build === 'simd' ? 'plain' : info.build;
  const times = { before64: [], after64: [], tf64: [], before1: [], after1: [], tf1: [], t1: [], t2: [] };
  let check = null;
  for (let round = 0; round < rounds; round++) {
    // 1 thread: before / after / TF.js, batch 64 and 1.
    sn.dispose();
    await sn.ready({ threads: 1 });
    const model = withWeights(sn, weights);
    const xb = sn.tensor(x64, [64, 28, 28, 1]);
    const x1 = sn.tensor(x64.subarray(0, 784), [1, 28, 28, 1]);
    const run = (x) => () => model.predict(x).dispose();
    if (round === 0) {
      sn.ops.forceConv2dPath('kernel');
      const a = model.predict(xb).dataSync();
      sn.ops.forceConv2dPath('auto');
      const b = model.predict(xb).dataSync();
      check = { afterVsBefore: a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0) };
      if (tf) {
        const tm = withWeights(tf, weights);
        const c = tm.predict(tf.tensor(x64, [64, 28, 28, 1])).dataSync();
        check.tfjsVsAfter = c.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
      }
    }
    sn.ops.forceConv2dPath('kernel');
    times.before64.push(perCall(run(xb), minMs));
    times.before1.push(perCall(run(x1), minMs));
    sn.ops.forceConv2dPath('auto');
    times.after64.push(perCall(run(xb), minMs));
    times.after1.push(perCall(run(x1), minMs));
    times.t1.push(times.after1[times.after1.length - 1]);
    if (tf) {
      const tm = withWeights(tf, weights);
      const tb = tf.tensor(x64, [64, 28, 28, 1]);
      const t1 = tf.tensor(x64.subarray(0, 784), [1, 28, 28, 1]);
      times.tf64.push(perCall(() => tf.tidy(() => tm.predict(tb).dataSync()), minMs));
      times.tf1.push(perCall(() => tf.tidy(() => tm.predict(t1).dataSync()), minMs));
      tb.dispose(); t1.dispose(); tm.dispose();
    }
    model.dispose(); xb.dispose(); x1.dispose();
    // 2 threads: batch-1 latency (Winograd split by tiles, im2col by filters).
    sn.dispose();
    const two = await sn.ready({ threads: 2 });
    if (two.threads === 2) {
      const m2 = withWeights(sn, weights);
      const y1 = sn.tensor(x64.subarray(0, 784), [1, 28, 28, 1]);
      // Warm first, as bench/threads.mjs does: a fresh pool splits only once its workers keep pace (V8 tiers the
      // kernels up, the split governor backs off while they lag): timed cold, this row read 1.0-1.6x.
      perCall(() => m2.predict(y1).dispose(), 400);
      times.t2.push(perCall(() => m2.predict(y1).dispose(), minMs));
      m2.dispose(); y1.dispose();
    }
    sn.dispose();
    log(`  round ${round + 1}/${rounds}: b64 before ${times.before64[round].toFixed(2)} ms, after ${times.after64[round].toFixed(2)} ms` +
      (tf ? `, TF.js ${times.tf64[round].toFixed(2)} ms` : '') + `; b1 before ${times.before1[round].toFixed(3)}, after ${times.after1[round].toFixed(3)}` +
      (tf ? `, TF.js ${times.tf1[round].toFixed(3)}` : '') + (times.t2.length ? `, 2 threads ${times.t2[round].toFixed(3)} ms` : ''));
  }
  const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, v.length ? median(v) : NaN]));
  const ratio = (key, a, b) => median(times[a].map((v, i) => (key === 'speed' ? times[b][i] / v : v / times[b][i])));
  return {
    build, rounds, check, ms: m,
    // speed ratios > 1 mean simdnet faster; time ratios < 1 mean simdnet faster. Medians of per-round ratios.
    b64SpeedVsTfBefore: tf ? ratio('speed', 'before64', 'tf64') : NaN,
    b64SpeedVsTfAfter: tf ? ratio('speed', 'after64', 'tf64') : NaN,
    b1TimeVsTfBefore: tf ? ratio('time', 'before1', 'tf1') : NaN,
    b1TimeVsTfAfter: tf ? ratio('time', 'after1', 'tf1') : NaN,
    b64AfterSpeedup: ratio('speed', 'after64', 'before64'),
    b1AfterSpeedup: ratio('speed', 'after1', 'before1'),
    twoThreadsB1Time: times.t2.length ? ratio('time', 't2', 't1') : NaN,
  };
}

export function winogradTable(r) {
  const f = (v, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '—');
  return [
    `Keras MNIST convnet inference, ${r.build} build, medians of ${r.rounds} interleaved rounds (ratios: medians of per-round ratios).`,
    `Checks: after vs before max |Δ| ${f(r.check.afterVsBefore, 7)}; TF.js vs after ${f(r.check.tfjsVsAfter, 7)}.`,
    '',
    '| figure | before (direct/im2col) | after (Winograd) | TF.js wasm | target |',
    '|---|---|---|---|---|',
    `| batch 64, ms | ${f(r.ms.before64)} | ${f(r.ms.after64)} | ${f(r.ms.tf64)} | |`,
    `| batch 64, speed ÷ TF.js wasm | ${f(r.b64SpeedVsTfBefore)}× | ${f(r.b64SpeedVsTfAfter)}× | 1× | ≥ 1.7× plain, ≥ 2.0× relaxed |`,
    `| batch 1, ms | ${f(r.ms.before1, 3)} | ${f(r.ms.after1, 3)} | ${f(r.ms.tf1, 3)} | |`,
    `| batch 1, time ÷ TF.js wasm | ${f(r.b1TimeVsTfBefore)}× | ${f(r.b1TimeVsTfAfter)}× | 1× | ≤ 0.45× |`,
    `| after ÷ before speed | | b64 ${f(r.b64AfterSpeedup)}×, b1 ${f(r.b1AfterSpeedup)}× | | |`,
    `| batch 1, 2 threads ÷ 1 thread time | | ${f(r.twoThreadsB1Time)}× (${f(r.ms.t2, 3)} vs ${f(r.ms.t1, 3)} ms) | | ≤ 0.65× |`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const sn = await import(pathToFileURL(join(here, '..', 'dist', 'simdnet.js')).href);
  const rounds = Number(process.argv.find((a) => a.startsWith('--rounds='))?.split('=')[1] ?? 5);
  const r = await runWinogradBench(sn, { rounds });
  console.log(winogradTable(r));
  sn.dispose();
}
