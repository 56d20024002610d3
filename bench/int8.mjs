// int8 quantization (issue 16, simdnet/quantize): the committed MNIST convnet (demo/model/) quantized with 500 training images,
// against its float self on the same build — test accuracy on all 10,000 test images, then batch-64 and
// batch-1 predict time, fp32 and int8 calls alternated so machine load hits both alike; medians per build.
//
//   npm run bench -- int8 [--rounds=R]
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { loadavg } from 'node:os';
import { perCallSync as perCall } from './harness.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MODEL = join(ROOT, 'demo', 'model');
// The subpath entry as users import it; its `import 'simdnet'` resolves (package self-reference) to the
// same dist/simdnet.js that `sn` is, so both share one engine.
const QUANTIZE = pathToFileURL(join(ROOT, 'dist', 'quantize.js')).href;

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export async function runInt8Bench(sn, { rounds = 7, minMs = 200, log = () => {}, builds = ['plain', 'relaxed'] } = {}) {
  const { quantize, int8Kernel } = await import(QUANTIZE);
  const out = { model: 'demo/model (MNIST convnet-bn, 166,122 parameters)', calibration: 500, rows: [] };
  for (const simd of builds) {
    let info;
    try {
      info = await sn.ready({ simd, threads: 1 });
    } catch (e) {
      log(`  ${simd}: skipped (${e.message})`);
      continue;
    }
    const build = info.build === 'simd' ? 'plain' : info.build;
    const mnist = await sn.data.loadMnist({ train: 500 });
    const model = await sn.loadModel(`file://${MODEL}`);
    const q = await quantize(model, { calibration: mnist.trainImages });
    const kernel = int8Kernel();
    const fp32 = model.evaluate(mnist.testImages, mnist.testLabels, { batchSize: 250 });
    const int8 = q.evaluate(mnist.testImages, mnist.testLabels, { batchSize: 250 });
    const x64 = sn.tensor(mnist.testImages.dataSync().subarray(0, 64 * 784), [64, 28, 28, 1]);
    const x1 = sn.tensor(mnist.testImages.dataSync().subarray(0, 784), [1, 28, 28, 1]);
    const times = { fp32: { 64: [], 1: [] }, int8: { 64: [], 1: [] } };
    const loadStart = loadavg()[0];
    const run = (m, x) => () => m.predict(x, { batchSize: 64 }).dispose();
    for (let i = 0; i < 3; i++) for (const m of [model, q]) for (const x of [x64, x1]) run(m, x)();
    for (let r = 0; r < rounds; r++) {
      // A B B A within a round, so a burst of load does not land on one side only.
      for (const [name, m] of r % 2 ? [['int8', q], ['fp32', model]] : [['fp32', model], ['int8', q]]) {
        times[name][64].push(perCall(run(m, x64), minMs));
        times[name][1].push(perCall(run(m, x1), minMs / 2));
      }
    }
    const row = {
      build,
      int8Kernel: kernel,
      int8Layers: q.int8Layers,
      accuracy: { fp32: fp32.accuracy, int8: int8.accuracy, deltaPoints: (int8.accuracy - fp32.accuracy) * 100 },
      batch64Ms: { fp32: median(times.fp32[64]), int8: median(times.int8[64]) },
      batch1Ms: { fp32: median(times.fp32[1]), int8: median(times.int8[1]) },
      loadAverage1m: [loadStart, loadavg()[0]],
    };
    row.speedup64 = row.batch64Ms.fp32 / row.batch64Ms.int8;
    row.speedup1 = row.batch1Ms.fp32 / row.batch1Ms.int8;
    out.rows.push(row);
    log(`  ${build}: accuracy fp32 ${(fp32.accuracy * 100).toFixed(2)} % int8 ${(int8.accuracy * 100).toFixed(2)} %; ` +
      `batch 64 ${row.batch64Ms.fp32.toFixed(2)} → ${row.batch64Ms.int8.toFixed(2)} ms (${row.speedup64.toFixed(2)}x), ` +
      `batch 1 ${(row.batch1Ms.fp32 * 1000).toFixed(0)} → ${(row.batch1Ms.int8 * 1000).toFixed(0)} µs (${row.speedup1.toFixed(2)}x), kernel ${kernel}; ` +
      `load average ${row.loadAverage1m.map((l) => l.toFixed(1)).join(' → ')}`);
    for (const t of [x64, x1]) t.dispose();
    q.dispose();
    model.dispose();
    mnist.dispose();
  }
  await sn.ready({ threads: 1 });
  return out;
}

export function int8Table(result) {
  const lines = [
    `${result.model}, quantized with ${result.calibration} training images; 1 thread; medians of alternated fp32/int8 runs.`,
    '',
    '| build | int8 kernel | test accuracy fp32 → int8 (10,000 images) | batch 64 fp32 → int8 | speed-up | batch 1 fp32 → int8 | speed-up | load average (1 min) |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of result.rows) {
    lines.push(`| ${r.build} | ${r.int8Kernel} | ${(r.accuracy.fp32 * 100).toFixed(2)} % → ${(r.accuracy.int8 * 100).toFixed(2)} % | ` +
      `${r.batch64Ms.fp32.toFixed(2)} → ${r.batch64Ms.int8.toFixed(2)} ms | ${r.speedup64.toFixed(2)}x | ` +
      `${(r.batch1Ms.fp32 * 1000).toFixed(0)} → ${(r.batch1Ms.int8 * 1000).toFixed(0)} µs | ${r.speedup1.toFixed(2)}x | ` +
      `${r.loadAverage1m ? r.loadAverage1m.map((l) => l.toFixed(1)).join(' → ') : '—'} |`);
  }
  return lines.join('\n');
}
