// The benchmark suite, independent of where it runs: Node (run.mjs) and the browser page (page.mjs) give it an
// `env` that loads libraries (and, in Node, measures cold starts in child processes).
//
// For each model: every library gets the same weights; outputs are checked against a float64 reference
// BEFORE anything is timed (a library that disagrees is reported and not timed); then each metric runs in
// rounds, one timed block per library per round with the library order rotated each round, and the
// median of the blocks is reported. A library that cannot run a case is reported with its error.
import { BATCH, LEARNING_RATE, MODELS, describe, makeBatch, makeWeights, maxAbsDiff, referenceForward } from './models.mjs';

const now = () => performance.now();
export const median = (xs) => {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** n seeded pseudo-random floats, uniform in [-scale/2, scale/2): the same inputs for every library in a run. */
export function values(n, seed, scale = 1) {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = ((s >>> 8) / 16777216 - 0.5) * scale;
  }
  return out;
}

/** Milliseconds per call of f (sync or async), repeated for at least minMs after one warm-up call (at least 2 calls). */
export async function perCall(f, minMs) {
  await f();
  let n = 0;
  const t0 = now();
  let t = t0;
  while (t - t0 < minMs || n < 2) {
    await f();
    n++;
    t = now();
  }
  return (t - t0) / n;
}
/**
 * perCall for a synchronous f, with no await between calls (one is ~0.1 µs: too much for µs-scale calls).
 * `clock` (ms): wall time by default; cpuNow counts this process's CPU time (what a shared host steals is left out).
 */
export function perCallSync(f, minMs, clock = now) {
  f();
  let n = 0;
  const t0 = clock();
  let t = t0;
  while (t - t0 < minMs || n < 2) {
    f();
    n++;
    t = clock();
  }
  return (t - t0) / n;
}

/** This process's CPU time, ms (Node). */
export const cpuNow = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const message = (e) => String(e?.message ?? e).split('\n')[0].slice(0, 300);

export const SETTINGS = {
  full: { reps: 7, blockMs: 300, maxIters: 2000, libBudgetMs: 40_000, minSamples: 3, coldReps: 5 },
  quick: { reps: 3, blockMs: 40, maxIters: 200, libBudgetMs: 2_500, minSamples: 1, coldReps: 1 },
};

/** Tolerances: float32 libraries against the float64 reference (softmax outputs in [0, 1]). */
const CHECK_TOL = 1e-3;
const TRAIN_CHECK_TOL = 2e-3;

async function call(fn) {
  const r = fn();
  return r && typeof r.then === 'function' ? await r : r;
}

/** Runs `fn` for at least `blockMs` (one call at minimum); returns ms per call. */
async function timeBlock(fn, blockMs, maxIters) {
  let iters = 0;
  const t0 = now();
  let t;
  do {
    await call(fn);
    iters++;
    t = now() - t0;
  } while (t < blockMs && iters < maxIters);
  return t / iters;
}

/**
 * One metric across libraries: `rounds` rounds, each a timed block per library in rotated order. A library
 * whose blocks have used up `libBudgetMs` stops after at least one block (slow peers get fewer samples).
 * Returns { [libId]: { ms: median ms per call, samples } | { error } }.
 */
async function interleave(entries, makeFn, s, log, label) {
  const out = {};
  const state = entries.map((e) => ({ e, fn: makeFn(e), samples: [], cpuShares: [], spent: 0, perCall: e.firstStepMs ?? 0, warm: e.firstStepMs != null }));
  // (A first training step already ran in the check: it counts as the warm-up.)
  for (let rep = 0; rep < s.reps; rep++) {
    await s.eachRound?.();
    const order = state.map((_, i) => state[(i + rep) % state.length]);
    for (const st of order) {
      if (out[st.e.id]?.error) continue;
      if (st.samples.length >= (s.minSamples ?? 1) && st.spent > s.libBudgetMs) continue;
      try {
        await st.e.inst.activate?.();
        // One untimed call first, unless a call is long enough that warming matters less than time spent.
        if (!s.selfTimed && (!st.warm || st.perCall < s.blockMs)) await call(st.fn);
        st.warm = true;
        const t0 = now();
        const cpu0 = s.cpuTimeMs?.();
        // Self-timed calls (cold starts) return their own duration, measured where they ran.
        st.perCall = s.selfTimed ? await call(st.fn) : await timeBlock(st.fn, s.blockMs, s.maxIters);
        const wall = now() - t0;
        st.spent += wall;
        st.samples.push(st.perCall);
        // CPU time / wall time of the block: well below 1 means this process was kept off the CPU (a busy machine).
        if (cpu0 != null && !s.selfTimed) st.cpuShares.push((s.cpuTimeMs() - cpu0) / wall);
      } catch (e) {
        out[st.e.id] = { error: message(e) };
        log(`  ${label}: ${st.e.id} failed: ${message(e)}`);
      }
    }
  }
  for (const st of state) {
    if (!out[st.e.id]) {
      out[st.e.id] = { ms: median(st.samples), samples: st.samples.length, all: st.samples };
      if (st.cpuShares.length) out[st.e.id].cpuShare = median(st.cpuShares);
    }
  }
  return out;
}

/**
 * @param {object} o
 * @param {object} o.env      { name, load(pkg), coldStart?(peerId, modelId) → ms, peak?() → {gflops, source},
 *                            peakSample?() → GFLOP/s (one short sample, simdnet's running build), describe() }
 * @param {object[]} o.peers  adapters (peers/*.mjs)
 * @param {boolean} o.quick
 * @param {(s: string) => void} o.log
 * @param {object[]} [o.models]
 * @param {string[]} [o.skipTraining]  peer ids whose training is skipped in this run (reported as skipped)
 */
export async function runSuite({ env, peers, quick = false, log = () => {}, models = MODELS, skipTraining = [] }) {
  const s = { ...(quick ? SETTINGS.quick : SETTINGS.full), cpuTimeMs: env.cpuTimeMs };
  const started = new Date().toISOString();
  const t0 = now();
  const libraries = [];
  for (const p of peers) {
    try {
      const info = await p.init(env);
      libraries.push({ id: p.id, label: p.label, ...info, inferenceOnly: !!p.inferenceOnly, peer: p });
      log(`${p.label} ${info.version}: ready (${info.notes ?? ''}, ${info.threads} thread${info.threads > 1 ? 's' : ''})`);
    } catch (e) {
      libraries.push({ id: p.id, label: p.label, error: message(e), peer: p });
      log(`${p.label}: cannot start: ${message(e)}`);
    }
  }
  const live = libraries.filter((l) => !l.error);

  const modelResults = [];
  for (const spec of models) {
    const desc = describe(spec);
    log(`\n${spec.title}: ${desc.params} parameters, ${(desc.flops / 1e6).toFixed(2)} MFLOP per image forward`);
    const weights = makeWeights(spec);
    const check = makeBatch(spec, 8, 7);
    const one = makeBatch(spec, 1, 11);
    const batch = makeBatch(spec, BATCH, 13);
    const reference = referenceForward(spec, weights, check.x, check.n);
    const r = { id: spec.id, title: spec.title, flops: desc.flops, params: desc.params, check: {}, trainCheck: {}, metrics: {} };

    // Build and check inference against the float64 reference.
    const entries = [];
    for (const lib of live) {
      try {
        const inst = await lib.peer.build(spec, weights, { learningRate: LEARNING_RATE, batch: BATCH });
        await inst.activate?.();
        const out = await call(() => inst.predict(check.x, check.n));
        const diff = maxAbsDiff(out, reference);
        r.check[lib.id] = { maxAbsDiff: diff, ok: diff <= CHECK_TOL };
        log(`  check ${lib.id}: max abs diff vs float64 reference ${diff.toExponential(2)}${diff <= CHECK_TOL ? '' : ' — DISAGREES, not timed'}`);
        if (diff <= CHECK_TOL) entries.push({ id: lib.id, lib, inst });
        else await inst.dispose?.();
      } catch (e) {
        r.check[lib.id] = { error: message(e) };
        log(`  ${lib.id}: cannot build ${spec.id}: ${message(e)}`);
      }
    }

    r.metrics.latency1 = await interleave(entries, (e) => () => e.inst.predict(one.x, 1), s, log, 'batch-1 inference');
    log(`  batch-1 latency (ms): ${fmtRow(r.metrics.latency1, (v) => v.ms.toFixed(3))}`);
    r.metrics.infer64 = await interleave(entries, (e) => () => e.inst.predict(batch.x, BATCH), s, log, 'batch-64 inference');
    log(`  batch-64 inference (images/s): ${fmtRow(r.metrics.infer64, (v) => (BATCH * 1000 / v.ms).toFixed(0))}`);

    // Training: one SGD step from the same weights must give the same model; checked against the first
    // library that trains in float64 (ConvNetJS) or else the first that trains at all.
    const trainers = [];
    const after = {};
    for (const e of entries) {
      if (e.lib.inferenceOnly) { r.trainCheck[e.id] = { error: 'inference only' }; continue; }
      if (skipTraining.includes(e.id)) { r.trainCheck[e.id] = { skipped: true, error: 'skipped in this run (--quick)' }; continue; }
      try {
        await e.inst.activate?.();
        const t = now();
        await call(() => e.inst.train(batch.x, batch.labels, BATCH));
        const firstStepMs = now() - t;
        after[e.id] = await call(() => e.inst.predict(check.x, check.n));
        trainers.push({ ...e, firstStepMs });
      } catch (e2) {
        r.trainCheck[e.id] = { error: message(e2) };
        log(`  training ${e.id}: ${message(e2)}`);
      }
    }
    const refId = after.convnetjs ? 'convnetjs' : trainers[0]?.id;
    const timedTrainers = [];
    // Relative tolerance: 5 % of how far the reference's step moved the outputs (a library whose step did
    // nothing, or something else, fails), capped by the absolute float32 tolerance.
    const refMoved = refId ? maxAbsDiff(after[refId], reference) : 0;
    const trainTol = Math.min(TRAIN_CHECK_TOL, 0.05 * refMoved);
    for (const t of trainers) {
      const diff = maxAbsDiff(after[t.id], after[refId]);
      // How far the step moved the outputs: a check is only meaningful if the step changed something.
      const moved = maxAbsDiff(after[t.id], reference);
      r.trainCheck[t.id] = { maxAbsDiff: diff, against: refId, moved, tolerance: trainTol, ok: diff <= trainTol };
      log(`  check after one SGD step ${t.id}: max abs diff vs ${refId} ${diff.toExponential(2)} (the step moved outputs by up to ${moved.toExponential(2)})${diff <= trainTol ? '' : ' — DISAGREES, not timed'}`);
      if (diff <= trainTol) timedTrainers.push(t);
    }
    // The SIMD peak is sampled once per training round, so "% of peak" compares figures from the same minutes.
    const peaks = [];
    const eachRound = env.peakSample && timedTrainers.some((t) => t.id === 'simdnet')
      ? async () => { try { peaks.push(await env.peakSample()); } catch { /* reported by env.peak at the end */ } }
      : undefined;
    r.metrics.train64 = await interleave(timedTrainers, (e) => () => e.inst.train(batch.x, batch.labels, BATCH), { ...s, eachRound }, log, 'batch-64 training');
    if (peaks.length) {
      r.peakDuringTraining = { gflops: median(peaks), samples: peaks.length };
      log(`  wasm SIMD peak sampled between training rounds: ${median(peaks).toFixed(1)} GFLOP/s`);
    }
    for (const [id, c] of Object.entries(r.trainCheck)) if (c.error && !r.metrics.train64[id]) r.metrics.train64[id] = { error: c.error, skipped: c.skipped };
    for (const [id, c] of Object.entries(r.check)) {
      for (const m of ['latency1', 'infer64', 'train64']) {
        if (!r.metrics[m][id]) r.metrics[m][id] = { error: c.error ?? `outputs disagree (max abs diff ${c.maxAbsDiff.toExponential(2)})` };
      }
    }
    log(`  batch-64 training (images/s): ${fmtRow(r.metrics.train64, (v) => (BATCH * 1000 / v.ms).toFixed(1))}`);
    for (const e of entries) await e.inst.dispose?.();

    // Cold start: import + ready + build + first prediction, each in a fresh process (Node) or realm.
    if (env.coldStart) {
      const coldEntries = live.map((lib) => ({ id: lib.id, lib, inst: {} }));
      r.metrics.coldStart = await interleave(coldEntries, (e) => () => env.coldStart(e.id, spec.id), { ...s, reps: s.coldReps, blockMs: 0, maxIters: 1, libBudgetMs: Infinity, selfTimed: true }, log, 'cold start');
      log(`  cold start (ms): ${fmtRow(r.metrics.coldStart, (v) => v.ms.toFixed(0))}`);
    }
    modelResults.push(r);
  }

  let peak = null;
  if (env.peak) {
    try { peak = await env.peak(); } catch (e) { peak = { error: message(e) }; }
  }
  return {
    started,
    seconds: (now() - t0) / 1000,
    quick,
    settings: { ...s, cpuTimeMs: undefined },
    batch: BATCH,
    optimizer: `SGD, learning rate ${LEARNING_RATE}, momentum 0; sparse categorical cross-entropy`,
    environment: await env.describe(),
    libraries: libraries.map(({ peer, ...rest }) => rest),
    peak,
    models: modelResults,
  };
}

function fmtRow(metric, f) {
  return Object.entries(metric).map(([id, v]) => `${id} ${v.error ? 'n/a' : f(v)}`).join(', ');
}
