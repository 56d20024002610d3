// Threads on a busy machine: the MNIST convnet's batch-1 latency and training step, 2 threads ÷ 1 thread, while
// other programs keep every core busy — with the thread pool's SplitGovernor (src/backend/split-governor.ts)
// as it ships, and with it switched off (every group split, workers always polling), in one process.
//
//   npm run bench -- busy [--hogs=N] [--pairs=P]
//
// The hogs are N processes that work and sleep by turns (default: two per core), each started in a session of its own
// (detached), as another program would be: where the scheduler groups processes by session (Linux autogroup),
// hogs started in this session would compete only with this process's own threads. Each figure is the
// median over P back-to-back triplets (1 thread, 2 threads with the governor, 2 without; the order rotating).
import { spawn } from 'node:child_process';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { kerasConvnet, sequentialOf } from './models.mjs';
import { perCall, median, values } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const cores = typeof availableParallelism === 'function' ? availableParallelism() : cpus().length;

// A hog works 3 ms and sleeps 1 ms, over and over, as a build's compilers do more than a pure spin: each
// wake-up takes a core from whoever has it (pure spinning hogs never do, and the scheduler just shares the
// cores out).
const HOG = 'const w = new Int32Array(new SharedArrayBuffer(4)); for (;;) { const t = Date.now(); while (Date.now() - t < 3); Atomics.wait(w, 0, 0, 1); }';

/** Starts `n` hog processes (HOG) in sessions of their own; returns a function that stops them. */
function startHogs(n) {
  const hogs = [];
  for (let i = 0; i < n; i++) {
    hogs.push(spawn(process.execPath, ['-e', HOG], { detached: true, stdio: 'ignore' }));
  }
  return () => hogs.forEach((h) => h.kill('SIGKILL'));
}

/** The governor of a 2-thread engine, switched off: every group splits, every report is ignored. */
function switchOff(governor) {
  const saved = { allowsSplit: governor.allowsSplit, report: governor.report, paused: governor.paused };
  governor.allowsSplit = () => true;
  governor.report = () => {};
  governor.paused = () => false;
  return () => Object.assign(governor, saved);
}

export async function runBusyBench({ hogs = 2 * cores, pairs = 24, log = console.log } = {}) {
  const dist = pathToFileURL(join(here, '..', 'dist', 'simdnet.js')).href;
  const sn1 = await import(`${dist}?busy=1`);
  const sn2 = await import(`${dist}?busy=2`);
  const info = await sn1.ready({ threads: 1 });
  const two = await sn2.ready({ threads: 2, simd: info.relaxedSimd ? 'relaxed' : 'plain' });
  if (two.threads < 2) throw new Error(`bench busy: no 2-thread engine here (${two.threadsNote ?? 'threads unavailable'})`);
  const build = info.relaxedSimd ? 'relaxed' : 'plain';
  const governor = sn2._internal.engine().pool.governor;

  const model = (sn) => {
    const m = sequentialOf(sn, kerasConvnet);
    m.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy' });
    return m;
  };
  const m1 = model(sn1), m2 = model(sn2);
  m2.setWeights(m1.getWeights().map((w) => sn2.tensor(w.dataSync(), w.shape)));
  const x = values(64 * 784, 3, 1);
  const labels = new Float32Array(64).map((_, i) => i % 10);
  const b1 = [sn1.tensor(x.subarray(0, 784), [1, 28, 28, 1]), sn2.tensor(x.subarray(0, 784), [1, 28, 28, 1])];
  const b64 = [sn1.tensor(x, [64, 28, 28, 1]), sn2.tensor(x, [64, 28, 28, 1])];
  const y64 = [sn1.tensor(labels, [64]), sn2.tensor(labels, [64])];
  const predict = (m, t) => () => { const y = m.predict(t); y.dataSync(); y.dispose(); };
  const figures = {
    'batch-1 predict': [predict(m1, b1[0]), predict(m2, b1[1]), 25],
    'training step (batch 64)': [() => m1.trainOnBatch(b64[0], y64[0]), () => m2.trainOnBatch(b64[1], y64[1]), 150],
  };

  // Triplets back to back — 1 thread, 2 threads with the governor, 2 threads without — in rotating order.
  const measure = async (one, two, blockMs) => {
    const engine2 = sn2._internal.engine();
    const splitCounts = { groups: 0, serial: 0 };
    const variants = {
      one,
      on: async () => {
        const before = { ...engine2.splitCounts };
        const t = await perCall(two, blockMs);
        for (const k of ['groups', 'serial']) splitCounts[k] += engine2.splitCounts[k] - before[k];
        return t;
      },
      off: async () => {
        const restore = switchOff(governor);
        try {
          return await perCall(two, blockMs);
        } finally {
          restore();
        }
      },
    };
    const names = Object.keys(variants);
    const on = [], off = [];
    for (let p = 0; p < pairs; p++) {
      const t = {};
      for (let i = 0; i < names.length; i++) {
        const k = names[(p + i) % names.length];
        t[k] = k === 'one' ? await perCall(one, blockMs) : await variants[k]();
      }
      on.push(t.on / t.one);
      off.push(t.off / t.one);
    }
    return { on: median(on), off: median(off), serialShare: splitCounts.serial / Math.max(1, splitCounts.serial + splitCounts.groups) };
  };
  const stop = hogs > 0 ? startHogs(hogs) : () => {};
  const rows = [];
  try {
    await new Promise((r) => setTimeout(r, 500)); // the hogs under way
    for (const [what, [one, two, blockMs]] of Object.entries(figures)) {
      const { on, off, serialShare } = await measure(one, two, blockMs);
      log(`  ${what}: 2 ÷ 1 thread time ${on.toFixed(3)} with the governor (${(100 * serialShare).toFixed(0)} % of groups run unsplit), ${off.toFixed(3)} without`);
      rows.push({ what, on, off, serialShare });
    }
  } finally {
    stop();
  }
  const result = { build, hogs, cores, pairs, loadAverage: loadavg()[0], rows };
  for (const s of [sn1, sn2]) s.dispose();
  return result;
}

export function busyTable(r) {
  return [
    `Threads on a busy machine (${r.build} build, ${r.cores} cores, ${r.hogs} processes working 3 ms and sleeping 1 ms by turns, in sessions of their own; ` +
      `medians over ${r.pairs} back-to-back triplets; load average ${r.loadAverage.toFixed(1)}). Time on 2 threads ÷ time on 1 thread:`,
    '',
    '| figure | thread pool as it ships | governor off (every group split) | groups run unsplit |',
    '|---|---|---|---|',
    ...r.rows.map((x) => `| ${x.what} | ${x.on.toFixed(2)}× | ${x.off.toFixed(2)}× | ${(100 * x.serialShare).toFixed(0)} % |`),
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (n) => process.argv.find((a) => a.startsWith(`--${n}=`))?.split('=')[1];
  const r = await runBusyBench({ hogs: Number(arg('hogs') ?? 2 * cores), pairs: Number(arg('pairs') ?? 24) });
  console.log(busyTable(r));
}
