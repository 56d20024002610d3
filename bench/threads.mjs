// Thread scaling: the same work at 1, 2, … threads, interleaved round by round, medians reported.
//
//   npm run bench -- threads [--max-threads=N] [--rounds=R]
//   node --experimental-wasm-relaxed-simd bench/threads.mjs [--max-threads=N] [--rounds=R]
//
// Cases: batch-64 training of the Keras MNIST convnet (images/s), its batch-1 predict latency (µs: one image split
// across the pool), conv2d forward and backward on 64x28x28x32 NHWC, 3x3, 64 filters, 'same' (GFLOP/s). Each round re-creates the engine with the thread count
// (`sn.ready({ threads })`), so every count sees the machine in the same minutes.
import { availableParallelism, loadavg, cpus } from 'node:os';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { perCallSync } from './harness.mjs';
import { kerasConvnet, sequentialOf } from './models.mjs';

const here = dirname(fileURLToPath(import.meta.url));

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function convnet(sn) {
  const model = sequentialOf(sn, kerasConvnet);
  model.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy' });
  return model;
}

function randomTensor(sn, shape, scale = 1) {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = ((s >>> 8) / 16777216 - 0.5) * scale;
  }
  return sn.tensor(data, shape);
}

/** One round at one thread count: returns { trainImagesPerSec, predictMicros, convForwardGflops, convBackwardGflops }. */
async function measure(sn, threads, { batches }) {
  const info = await sn.ready({ threads });
  sn.setSeed(1);
  const batch = 64;
  const n = batch * batches;
  const x = randomTensor(sn, [n, 28, 28, 1]);
  const labels = new Float32Array(n).map((_, i) => i % 10);
  const y = sn.tensor(labels, [n]);
  const model = convnet(sn);
  await model.fit(x, y, { epochs: 1, batchSize: batch, verbose: 0, shuffle: false }); // warm-up
  let t0 = performance.now();
  await model.fit(x, y, { epochs: 1, batchSize: batch, verbose: 0, shuffle: false });
  const trainImagesPerSec = n / ((performance.now() - t0) / 1000);
  const image = randomTensor(sn, [1, 28, 28, 1]);
  const predictOne = () => { const out = model.predict(image); out.dataSync(); out.dispose(); };
  // Warm first: a fresh pool splits only once its workers keep pace (V8 tiers the kernels up, the split governor
  // backs off while they lag), which takes a few hundred ms of calls after `ready`.
  perCallSync(predictOne, 400);
  const predictMicros = 1000 * median([0, 1, 2, 3, 4].map(() => perCallSync(predictOne, 50)));
  image.dispose();
  model.dispose?.();
  x.dispose();
  y.dispose();

  const g = { strideH: 1, strideW: 1, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, dilationH: 1, dilationW: 1 };
  const cx = randomTensor(sn, [64, 28, 28, 32]);
  const cw = randomTensor(sn, [3, 3, 32, 64], 0.2);
  const cy = sn.Tensor.empty([64, 28, 28, 64]);
  const dx = sn.Tensor.empty([64, 28, 28, 32]);
  const dw = sn.Tensor.empty([3, 3, 32, 64]);
  const flops = 2 * 64 * 28 * 28 * 64 * 3 * 3 * 32;
  sn.ops.conv2dForward(cx, cw, null, cy, g);
  const fwd = [];
  const bwd = [];
  for (let r = 0; r < 3; r++) {
    t0 = performance.now();
    sn.ops.conv2dForward(cx, cw, null, cy, g);
    fwd.push(performance.now() - t0);
    t0 = performance.now();
    sn.ops.conv2dBackward(cx, cw, cy, dx, dw, null, g);
    bwd.push(performance.now() - t0);
  }
  for (const t of [cx, cw, cy, dx, dw]) t.dispose();
  return {
    build: info.build,
    threads: info.threads,
    trainImagesPerSec,
    predictMicros,
    convForwardGflops: flops / median(fwd) / 1e6,
    convBackwardGflops: (2 * flops) / median(bwd) / 1e6,
  };
}

export async function runThreadBench(sn, { maxThreads = availableParallelism(), rounds = 5, batches = 8, log = console.log } = {}) {
  const counts = [];
  for (let t = 1; t <= maxThreads; t *= 2) counts.push(t);
  if (counts[counts.length - 1] !== maxThreads) counts.push(maxThreads);
  const samples = new Map(counts.map((t) => [t, []]));
  const loadStart = loadavg()[0];
  for (let r = 0; r < rounds; r++) {
    for (const t of r % 2 ? [...counts].reverse() : counts) samples.get(t).push(await measure(sn, t, { batches }));
    log(`threads bench: round ${r + 1}/${rounds}`);
  }
  await sn.ready({ threads: 1 });
  const rows = counts.map((t) => {
    const s = samples.get(t);
    return {
      threads: t,
      build: s[0].build,
      trainImagesPerSec: median(s.map((v) => v.trainImagesPerSec)),
      predictMicros: median(s.map((v) => v.predictMicros)),
      convForwardGflops: median(s.map((v) => v.convForwardGflops)),
      convBackwardGflops: median(s.map((v) => v.convBackwardGflops)),
    };
  });
  const base = rows[0];
  for (const row of rows) {
    row.trainSpeedup = row.trainImagesPerSec / base.trainImagesPerSec;
    row.predictRatio = row.predictMicros / base.predictMicros;
    row.convForwardSpeedup = row.convForwardGflops / base.convForwardGflops;
    row.convBackwardSpeedup = row.convBackwardGflops / base.convBackwardGflops;
  }
  return { cpu: cpus()[0]?.model, cores: availableParallelism(), rounds, loadAverage: [loadStart, loadavg()[0]], rows };
}

export function threadTable(result) {
  const out = [
    `Thread scaling (${result.cpu}, ${result.cores} cores, medians of ${result.rounds} interleaved rounds; load average ${result.loadAverage.map((l) => l.toFixed(2)).join(' → ')}):`,
    '',
    '| threads | build | convnet training, batch 64 (images/s) | speed-up | batch-1 predict (µs) | time ÷ 1 thread | conv2d forward (GFLOP/s) | speed-up | conv2d backward (GFLOP/s) | speed-up |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of result.rows) {
    out.push(
      `| ${r.threads} | ${r.build} | ${r.trainImagesPerSec.toFixed(0)} | ${r.trainSpeedup.toFixed(2)}× | ${r.predictMicros.toFixed(1)} | ${r.predictRatio.toFixed(2)}× | ${r.convForwardGflops.toFixed(1)} | ${r.convForwardSpeedup.toFixed(2)}× | ${r.convBackwardGflops.toFixed(1)} | ${r.convBackwardSpeedup.toFixed(2)}× |`,
    );
  }
  return out.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const sn = await import(pathToFileURL(join(here, '..', 'dist', 'simdnet.js')).href);
  const result = await runThreadBench(sn, {
    maxThreads: Number(arg('max-threads') ?? availableParallelism()),
    rounds: Number(arg('rounds') ?? 5),
  });
  console.log(threadTable(result));
  sn.dispose();
}
