// `npm run bench -- compare --baseline=PATH`: this checkout's dist/simdnet.js against another build of
// simdnet (PATH: that build's dist/simdnet.js), both in one process, so "is anything slower than before?" is
// answered by ratios measured side by side instead of by two runs hours apart on a shared machine.
//
//   git worktree add /tmp/simdnet-base <commit> && ln -s "$PWD/node_modules" /tmp/simdnet-base/node_modules
//   (cd /tmp/simdnet-base && npm run build)
//   npm run bench -- compare --baseline=/tmp/simdnet-base/dist/simdnet.js [--rounds=5] [--no-kernels] [--filter=conv]
//
// Each bundle is imported once per SIMD build (plain, relaxed), each instance with its own engine, one
// thread. Every round times every case of every engine once, in a rotated order, by the process CPU clock;
// figures are medians over rounds. Cases: the suite's models through the public API (predict at batch 1
// and 64, one training step at batch 64), the graph models, MobileNetV2 at batch 1, and every case of the
// kernel bench (bench/kernels.mjs) — those call the engine's internal ops, so a case whose signature
// differs in the baseline fails its warm-up there and is left out (listed).
import { loadavg } from 'node:os';
import { MODELS, GRAPH_MODELS, makeWeights, makeBatch, maxAbsDiff } from './models.mjs';
import { mobileNetV2 } from './mobilenet-v2.mjs';
import { simdnetPeer } from './peers/simdnet.mjs';
import { median } from './harness.mjs';

const cpuNow = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

/** Runs `fn` until `minMs` of wall time has passed (at least once); CPU ms per call. */
async function timeBlock(fn, minMs) {
  let iters = 0;
  const t0 = performance.now();
  const c0 = cpuNow();
  do {
    await fn();
    iters++;
  } while (performance.now() - t0 < minMs);
  return (cpuNow() - c0) / iters;
}

/** Imports `url` as a separate module instance per build and readies each on one thread. */
async function loadEngines(url, label, builds, log) {
  const engines = [];
  for (const simd of builds) {
    const sn = await import(`${url}?compare=${label}-${simd}`);
    try {
      await sn.ready({ simd, threads: 1 });
      engines.push({ sn, label, build: simd });
    } catch (e) {
      log(`  ${label} ${simd}: ${e.message}${simd === 'relaxed' ? ' (run node with --experimental-wasm-relaxed-simd)' : ''}`);
    }
  }
  return engines;
}

function seededImages(n, shape, seed) {
  const size = n * shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = s / 2 ** 32;
  }
  return v;
}

/** The model cases of one engine: { name, run, output? } each; `output` (predict cases) is checked across engines. */
async function modelCases(sn, keep) {
  const cases = [];
  const peer = simdnetPeer({ simd: 'auto' });
  await peer.init({ load: async () => sn });
  for (const spec of MODELS) {
    const model = await peer.build(spec, makeWeights(spec), { learningRate: 0.01 });
    keep.push(model);
    for (const n of [1, 64]) {
      const { x } = makeBatch(spec, n);
      cases.push({ name: `${spec.id} predict`, shape: `batch ${n}`, run: () => model.predict(x, n), output: () => model.predict(x, n) });
    }
    const { x, labels } = makeBatch(spec, 64);
    cases.push({ name: `${spec.id} train step`, shape: 'batch 64, SGD', run: () => model.train(x, labels, 64) });
  }
  const graphs = GRAPH_MODELS.map((g) => ({ ...g, make: () => sn.model(g.build(sn)) }));
  graphs.push({ id: 'mobilenet-v2', input: [224, 224, 3], make: () => mobileNetV2({ layers: sn.layers, input: sn.input, model: sn.model }) });
  for (const g of graphs) {
    sn.setSeed?.(7);
    let model;
    try { model = g.make(); } catch (e) { cases.push({ name: `${g.id} predict`, shape: 'batch 1', run: () => { throw e; } }); continue; }
    keep.push(model);
    const x1 = sn.tensor(seededImages(1, g.input, 11), [1, ...g.input]);
    keep.push(x1);
    const predict = () => { const y = model.predict(x1); const out = y.dataSync(); y.dispose(); return out; };
    cases.push({ name: `${g.id} predict`, shape: 'batch 1', run: predict, output: predict });
    if (g.trainBatch) {
      model.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy' });
      const xb = sn.tensor(seededImages(g.trainBatch, g.input, 12), [g.trainBatch, ...g.input]);
      const yb = sn.tensor(Float32Array.from({ length: g.trainBatch }, (_, i) => i % 10), [g.trainBatch]);
      keep.push(xb, yb);
      cases.push({ name: `${g.id} train step`, shape: `batch ${g.trainBatch}, SGD`, run: () => model.trainOnBatch(xb, yb) });
    }
  }
  return cases;
}

/**
 * Times current and baseline side by side. Returns { rows: [{ case, shape, build, currentMs, baselineMs, ratio }],
 * missing: [names only one side ran], loadAverage, rounds }.
 */
export async function runCompareBench({ currentUrl, baselineUrl, builds = ['plain', 'relaxed'], rounds = 5, minMs = 100, kernels = true, filter = null, log = () => {} }) {
  const current = await loadEngines(currentUrl, 'current', builds, log);
  const baseline = await loadEngines(baselineUrl, 'baseline', builds, log);
  const engines = [...current, ...baseline];
  const keep = [];
  const cases = [];
  const missing = [];
  for (const e of engines) {
    const mine = await modelCases(e.sn, keep);
    if (kernels) {
      const { makeCases } = await import('./kernels.mjs');
      const tensors = [];
      // An op the baseline lacks does nothing while the cases are made (some prime their outputs) and throws
      // when its case runs, so the warm-up drops that case on both sides.
      let making = true;
      const missingOp = (k) => () => { if (!making) throw new Error(`ops.${String(k)} is missing`); };
      const ops = new Proxy(e.sn.ops, { get: (t, k) => (k in t ? t[k] : missingOp(k)) });
      for (const c of makeCases({ ...e.sn, ops }, null, (t) => (tensors.push(t), t), [])) cases.push({ engine: e, name: c.kernel, shape: c.shape, run: c.run });
      making = false;
      keep.push(...tensors);
    }
    for (const c of mine) cases.push({ engine: e, ...c });
  }
  let timed = cases.filter((c) => !filter || filter.test(c.name));
  // Warm-up (tier-up, plans, scratch growth); a case that throws on one side is dropped on both.
  const failed = new Set();
  for (const c of timed) {
    try { await c.run(); } catch (e) { failed.add(`${c.name} ${c.shape}`); log(`  ${c.engine.label} ${c.engine.build} ${c.name} ${c.shape}: ${String(e?.message ?? e).split('\n')[0]}`); }
  }
  timed = timed.filter((c) => !failed.has(`${c.name} ${c.shape}`));
  missing.push(...failed);
  // Same answers before timing anything: each predict case of the baseline against the current one.
  for (const c of timed.filter((c) => c.output && c.engine.label === 'baseline')) {
    const mine = timed.find((d) => d.output && d.engine.label === 'current' && d.engine.build === c.engine.build && d.name === c.name && d.shape === c.shape);
    if (!mine) continue;
    const a = await mine.output(), b = await c.output();
    const scale = Math.max(1e-6, ...Array.from(b, Math.abs));
    if (maxAbsDiff(a, b) > 1e-4 * scale) throw new Error(`bench compare: ${c.name} ${c.shape} (${c.engine.build}) differs from the baseline by ${maxAbsDiff(a, b)}`);
  }
  const load0 = loadavg()[0];
  const times = timed.map(() => []);
  for (let r = 0; r < rounds; r++) {
    const order = timed.map((_, i) => i);
    for (let k = 0; k < (r * 7) % timed.length; k++) order.push(order.shift());
    for (const i of order) times[i].push(await timeBlock(timed[i].run, minMs));
    log(`  round ${r + 1}/${rounds} done`);
  }
  const load1 = loadavg()[0];
  const rows = [];
  timed.forEach((c, i) => {
    if (c.engine.label !== 'current') return;
    const j = timed.findIndex((d) => d.engine.label === 'baseline' && d.engine.build === c.engine.build && d.name === c.name && d.shape === c.shape);
    if (j < 0) { missing.push(`${c.name} ${c.shape} (not in the baseline)`); return; }
    const currentMs = median(times[i]), baselineMs = median(times[j]);
    rows.push({ case: c.name, shape: c.shape, build: c.engine.build, currentMs, baselineMs, ratio: currentMs / baselineMs });
  });
  for (const k of keep) k.dispose?.();
  for (const e of engines) e.sn.dispose?.();
  return { rows, missing: [...new Set(missing)], loadAverage: [load0, load1], rounds };
}

/**
 * Markdown: one row per case with both builds side by side, each as current ÷ baseline time; a ratio above
 * `slower` (noise allowance) is marked.
 */
export function compareTable({ rows, missing, loadAverage, rounds }, { slower = 1.1 } = {}) {
  const builds = [...new Set(rows.map((r) => r.build))];
  const keys = [...new Set(rows.map((r) => `${r.case}\t${r.shape}`))];
  const head = ['case', 'shape', ...builds.flatMap((b) => [`${b} ms now`, `${b} ms before`, `${b} now ÷ before`])];
  const body = keys.map((k) => {
    const [name, shape] = k.split('\t');
    return [name, shape, ...builds.flatMap((b) => {
      const r = rows.find((x) => x.case === name && x.shape === shape && x.build === b);
      if (!r) return ['', '', ''];
      const mark = r.ratio > slower ? ' **slower**' : '';
      return [r.currentMs.toFixed(3), r.baselineMs.toFixed(3), `${r.ratio.toFixed(2)}×${mark}`];
    })];
  });
  const slowerRows = rows.filter((r) => r.ratio > slower);
  const summary = slowerRows.length
    ? `${slowerRows.length} of ${rows.length} figures are more than ${Math.round((slower - 1) * 100)} % slower than the baseline.`
    : `None of the ${rows.length} figures is more than ${Math.round((slower - 1) * 100)} % slower than the baseline.`;
  const notes = [`Process CPU time, 1 thread, medians of ${rounds} interleaved rounds; load average ${loadAverage.map((v) => v.toFixed(1)).join(' → ')}.`, summary];
  if (missing.length) notes.push(`Not compared (one side lacks or rejects the case): ${missing.join('; ')}.`);
  return [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`, ...body.map((b) => `| ${b.join(' | ')} |`), '', ...notes].join('\n');
}
