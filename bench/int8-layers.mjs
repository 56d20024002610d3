// Per-kernel profile of the quantized convnet (issue 16) against its float self: both predicts are recorded
// once (the float model's inference plan, the quantized model's replay), then every recorded kernel call is
// timed on its own, fp32 and int8 calls alternated, medians of `rounds`. What the two traces spend outside
// the listed calls (input/output copies, JS) is the whole predict minus their sum. Times are CPU time.
//
//   node --experimental-wasm-relaxed-simd bench/int8-layers.mjs [--rounds=5] [--builds=plain,relaxed]
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { median } from './harness.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const sn = await import(pathToFileURL(join(ROOT, 'dist', 'simdnet.js')).href);
const { quantize } = await import(pathToFileURL(join(ROOT, 'dist', 'quantize.js')).href);
const arg = (name, dflt) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const rounds = Number(arg('rounds', 5));
const builds = arg('builds', 'plain,relaxed').split(',');

// Milliseconds of this process's CPU time per call (user + system, over ~minMs of wall time): on a machine
// shared with other work this is steadier than wall time; the kernels run on this thread.
function perCall(f, minMs) {
  let calls = 0;
  const u0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < minMs || calls < 3) { f(); calls++; }
  const u = process.cpuUsage(u0);
  return (u.user + u.system) / 1000 / calls;
}

function steps(trace, names) {
  return trace.steps.map((s) => {
    const name = s.fn ? names.get(s.fn) : s.calls[0][0];
    const run = s.fn ? () => s.fn(...s.args) : () => sn._internal.engine().parallel(s.calls);
    const args = s.fn ? s.args : s.calls[0].slice(1);
    return { name, run, args, times: [] };
  });
}

// A short description of a call from its arguments (the shapes the kernels take).
function describe(st) {
  const a = st.args;
  switch (st.name) {
    case 'int8_direct_conv2d': return `${a[2]}x${a[3]}x${a[4]} k${a[5]}x${a[6]} F${a[19]} pool${a[29]} mode${a[22]}`;
    case 'int8_wino_conv2d': return `${a[1]}x${a[2]}x${a[3]} F${a[12]} pool${a[22]} mode${a[15]} F(${a[23]}x${a[23]},3x3)`;
    case 'int8_conv2d': return `${a[1]}x${a[2]}x${a[3]} k${a[4]}x${a[5]} F${a[18]} mode${a[21]}`;
    case 'int8_small_conv2d': return `${a[1]}x${a[2]}x${a[3]} F${a[12]} mode${a[15]}`;
    default: return '';
  }
}

for (const simd of builds) {
  const info = await sn.ready({ simd, threads: 1 });
  const e = sn._internal.engine();
  const mnist = await sn.data.loadMnist({ train: 500 });
  const model = await sn.loadModel(`file://${join(ROOT, 'demo', 'model')}`);
  const q = await quantize(model, { calibration: mnist.trainImages });
  // After quantize(): the int8 kernels join the engine's kernels when it loads them.
  const names = new Map(Object.entries(e.kernels).filter(([, f]) => typeof f === 'function').map(([n, f]) => [f, n]));
  for (const rows of [64, 1]) {
    const x = sn.tensor(mnist.testImages.dataSync().subarray(0, rows * 784), [rows, 28, 28, 1]);
    for (let i = 0; i < 3; i++) { model.predict(x, { batchSize: 64 }).dispose(); q.predict(x, { batchSize: 64 }).dispose(); }
    // predict splits a batch into runs of rows (each model by its own rule) and keeps a trace per row
    // count (at most two: the full run and a tail): each trace's calls count once per run it makes.
    const traced = (list) => {
      const sorted = [...list].sort((a, b) => b.rows - a.rows);
      const full = sorted[0].rows;
      const runs = (r) => (r === full ? Math.floor(rows / full) : rows % full === r ? 1 : 0);
      return sorted.flatMap((p) => steps(p.trace, names).map((st) => ({ ...st, runs: runs(p.rows), rows: p.rows })))
        .filter((st) => st.runs > 0);
    };
    const fp = traced(model.plans), i8 = traced(q.replays);
    const whole = { fp32: [], int8: [] };
    const minMs = rows === 64 ? 30 : 10;
    for (let r = 0; r < rounds; r++) {
      for (const st of [...fp, ...i8]) st.times.push(perCall(st.run, minMs / 4));
      whole.fp32.push(perCall(() => model.predict(x, { batchSize: 64 }).dispose(), minMs * 4));
      whole.int8.push(perCall(() => q.predict(x, { batchSize: 64 }).dispose(), minMs * 4));
    }
    const us = (v) => (v * 1000).toFixed(rows === 64 ? 0 : 1).padStart(8);
    const sum = (l) => l.reduce((s, st) => s + st.runs * median(st.times), 0);
    console.log(`\n${info.build} batch ${rows}: predict fp32 ${us(median(whole.fp32))} µs, int8 ${us(median(whole.int8))} µs ` +
      `(${(median(whole.fp32) / median(whole.int8)).toFixed(2)}x); kernels fp32 ${us(sum(fp))} µs, int8 ${us(sum(i8))} µs`);
    for (const [label, l] of [['fp32', fp], ['int8', i8]]) {
      for (const st of l) console.log(`  ${label} ${us(st.runs * median(st.times))} µs  ${st.name} ${describe(st)}${st.runs > 1 || st.rows !== rows ? ` (${st.runs}x${st.rows} rows)` : ''}`);
    }
    x.dispose();
  }
  q.dispose();
  model.dispose();
  mnist.dispose();
}
