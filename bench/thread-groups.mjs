// What a 2-thread figure is made of: each parallel group of the MNIST convnet's batch-1 predict and of its
// training step (batch 64), timed three ways on a 2-thread engine — each part alone on this thread, the parts
// one after another (the one-thread work), and the group split across the threads — medians over rounds.
//
//   npm run bench -- thread-groups [--rounds=R]
//
// A group's speed-up is (parts in a row) ÷ (group): 2× is perfect on 2 threads; below it are the hand-off
// (~1.2 µs), the parts' imbalance, and what the two cores cost each other. The groups are captured from one
// real call (predict's recorded plan; one trainOnBatch) and timed on the buffers they were given, which keep
// the last step's values (the arena keeps its memory from batch to batch). Between the groups, a real step also
// runs JS and small kernels on this thread: the sums below leave those out.
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median, perCallSync } from './harness.mjs';
import { kerasConvnet, sequentialOf } from './models.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The groups' timings: for each, its parts alone, in a row, and split (µs, medians over `rounds`). */
function timeGroups(e, groups, rounds, ms) {
  const k = e.kernels;
  const run = (c) => k[c[0]](...c.slice(1));
  return groups.map((calls) => {
    const alone = calls.map(() => []), inRow = [], split = [];
    for (let r = 0; r < rounds; r++) {
      calls.forEach((c, j) => alone[j].push(1000 * perCallSync(() => run(c), ms)));
      inRow.push(1000 * perCallSync(() => calls.forEach(run), ms));
      split.push(1000 * perCallSync(() => e.parallel(calls), ms));
    }
    return { kernel: calls[0][0], alone: alone.map(median), inRow: median(inRow), split: median(split) };
  });
}

export async function runThreadGroupsBench({ rounds = 7, log = console.log } = {}) {
  const dist = pathToFileURL(join(here, '..', 'dist', 'simdnet.js')).href;
  const sn = await import(dist);
  const info = await sn.ready({ threads: 2 });
  const e = sn._internal.engine();
  if (e.threads < 2) throw new Error('bench thread-groups: this machine gave the engine one thread; it needs two cores');
  const m = sequentialOf(sn, kerasConvnet);
  const x1 = sn.tensor(new Float32Array(784).map((_, i) => (i * 7919) % 256 / 255), [1, 28, 28, 1]);
  for (let i = 0; i < 50; i++) m.predict(x1).dispose();
  const predictGroups = m.plans[0].trace.steps.filter((s) => s.calls).map((s) => s.calls);

  m.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.01 }), loss: 'categoricalCrossentropy' });
  const xs = sn.tensor(new Float32Array(64 * 784).map((_, i) => (i * 7919) % 256 / 255), [64, 28, 28, 1]);
  const ys = sn.tensor(new Float32Array(640).map((_, i) => (i % 10 === ((i / 10) | 0) % 10 ? 1 : 0)), [64, 10]);
  for (let i = 0; i < 10; i++) await m.trainOnBatch(xs, ys);
  const trainGroups = [];
  const parallel = e.parallel.bind(e);
  e.parallel = (calls) => {
    if (calls.length > 1) trainGroups.push(calls.map((c) => [...c]));
    parallel(calls);
  };
  try {
    await m.trainOnBatch(xs, ys);
  } finally {
    e.parallel = parallel;
  }
  log(`  ${info.build} build, ${e.threads} threads: ${predictGroups.length} groups in a batch-1 predict, ${trainGroups.length} in a training step`);
  const predict = timeGroups(e, predictGroups, rounds, 20);
  log('  batch-1 predict timed');
  const train = timeGroups(e, trainGroups, rounds, 30);
  log('  training step timed');
  [m, x1, xs, ys].forEach((t) => t.dispose());
  return { build: info.build, rounds, predict, train, loadAverage: (await import('node:os')).loadavg()[0] };
}

export function threadGroupsTable(r) {
  const f = (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
  const rows = (name, groups) => {
    const out = groups.map((g) =>
      `| ${name} | ${g.kernel} | ${g.alone.map(f).join(' + ')} | ${f(g.inRow)} | ${f(g.split)} | ${(g.inRow / g.split).toFixed(2)}× |`);
    const inRow = groups.reduce((s, g) => s + g.inRow, 0), split = groups.reduce((s, g) => s + g.split, 0);
    out.push(`| ${name} | all groups | | ${f(inRow)} | ${f(split)} | ${(inRow / split).toFixed(2)}× |`);
    return out;
  };
  return [
    `The MNIST convnet's parallel groups on 2 threads (${r.build} build, µs, medians of ${r.rounds} rounds; load average ${r.loadAverage.toFixed(1)}):`,
    '',
    '| call | group | parts alone | parts in a row | split | speed-up |',
    '|---|---|---|---|---|---|',
    ...rows('batch-1 predict', r.predict),
    ...rows('training step', r.train),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rounds = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 7);
  const r = await runThreadGroupsBench({ rounds });
  console.log(`\n${threadGroupsTable(r)}`);
}
