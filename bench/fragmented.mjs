// Fit + predict on a fragmented heap: the allocator must not slow down when the heap is full of holes.
//
//   npm run bench -- fragmented                       (also part of the full suite, in results/latest.json)
//   node bench/fragmented.mjs [--rounds=R] [--holes=N] [--compare=path/to/other/simdnet.js]
//
// One round: a small convnet fits one epoch on 1,024 images (batch 32) and predicts them, first on a clean
// heap, then with N (default 50,000) scattered free blocks left by disposed tensors (N small tensors made
// between 2N, every other one disposed). The figures are medians over rounds; the ratio fragmented/clean
// shows what the holes cost. `--compare` loads another build of the bundle (say, main before a change) and
// interleaves its rounds with this one's, so both see the machine in the same minutes.
import { pathToFileURL, fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { median } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));

function model(sn) {
  const L = sn.layers;
  const m = sn.sequential([
    L.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', inputShape: [16, 16, 1] }),
    L.maxPooling2d({ poolSize: 2 }),
    L.flatten(),
    L.dense({ units: 32, activation: 'relu' }),
    L.dense({ units: 10, activation: 'softmax' }),
  ]);
  m.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy' });
  return m;
}

async function fitPredictMs(sn, x, y) {
  sn.setSeed(1);
  const m = model(sn);
  const t0 = performance.now();
  await m.fit(x, y, { epochs: 1, batchSize: 32, shuffle: false, verbose: 0 });
  m.predict(x, { batchSize: 32 }).dispose();
  const ms = performance.now() - t0;
  m.dispose();
  return ms;
}

/** Holes made by disposing every other of 2·holes small tensors; returns the survivors (dispose them after). */
function fragment(sn, holes) {
  const all = [];
  for (let i = 0; i < 2 * holes; i++) all.push(sn.Tensor.empty([16 + (i % 7) * 16]));
  const keep = [];
  all.forEach((t, i) => (i % 2 ? keep.push(t) : t.dispose()));
  return keep;
}

/** One round on one bundle: { clean, fragmented } in ms. */
async function round(sn, holes) {
  await sn.ready({ threads: 1 });
  const n = 1024;
  const xs = new Float32Array(n * 256);
  for (let i = 0; i < xs.length; i++) xs[i] = ((i * 2654435761) >>> 0) / 2 ** 32;
  const x = sn.tensor(xs, [n, 16, 16, 1]);
  const y = sn.tensor(Float32Array.from({ length: n }, (_, i) => i % 10), [n]);
  const clean = await fitPredictMs(sn, x, y);
  const keep = fragment(sn, holes);
  const fragmented = await fitPredictMs(sn, x, y);
  keep.forEach((t) => t.dispose());
  x.dispose();
  y.dispose();
  return { clean, fragmented };
}

/**
 * Runs `rounds` rounds on each bundle in `bundles` ({ label, sn }), interleaved; returns rows
 * { label, holes, cleanMs, fragmentedMs, ratio }.
 */
export async function runFragmentedBench(bundles, { rounds = 3, holes = 50_000, log = console.log } = {}) {
  const samples = bundles.map(() => ({ clean: [], fragmented: [] }));
  for (const b of bundles) await round(b.sn, 1000); // warm-up: tier-up
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...bundles.keys()].reverse() : [...bundles.keys()];
    for (const i of order) {
      const s = await round(bundles[i].sn, holes);
      samples[i].clean.push(s.clean);
      samples[i].fragmented.push(s.fragmented);
    }
    log(`fragmented-heap bench: round ${r + 1}/${rounds}`);
  }
  return bundles.map((b, i) => {
    const cleanMs = median(samples[i].clean);
    const fragmentedMs = median(samples[i].fragmented);
    return { label: b.label, holes, cleanMs, fragmentedMs, ratio: fragmentedMs / cleanMs };
  });
}

export function fragmentedTable(rows) {
  const out = ['| bundle | free blocks | fit + predict, clean heap | fragmented heap | ratio |', '|---|---|---|---|---|'];
  for (const r of rows) out.push(`| ${r.label} | ${r.holes.toLocaleString('en')} | ${r.cleanMs.toFixed(0)} ms | ${r.fragmentedMs.toFixed(0)} ms | ${r.ratio.toFixed(2)}× |`);
  return out.join('\n');
}

const isMain = process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const opt = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const bundles = [{ label: 'this build', sn: await import(pathToFileURL(join(here, '..', 'dist', 'simdnet.js')).href) }];
  if (opt('compare')) bundles.push({ label: opt('compare'), sn: await import(pathToFileURL(opt('compare')).href) });
  const rows = await runFragmentedBench(bundles, { rounds: Number(opt('rounds') ?? 3), holes: Number(opt('holes') ?? 50_000) });
  console.log(fragmentedTable(rows));
  for (const b of bundles) b.sn.dispose();
}
