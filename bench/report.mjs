// Turns a suite result (harness.mjs) into markdown: one table per model, the issue's targets with their
// figures, and the method. Shared by the Node runner and the browser page.

const f = (v, d = 0) => (v == null || !Number.isFinite(v) ? 'n/a' : v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));
const short = (s) => (s.length > 70 ? `${s.slice(0, 67)}…` : s).replace(/\|/g, '\\|');

/** Derived figures for one library on one model (images/s, GFLOP/s), or error strings. */
export function figures(model, libId, batch) {
  const m = model.metrics;
  const get = (k) => m[k]?.[libId];
  const perSec = (k) => (get(k)?.ms ? (batch * 1000) / get(k).ms : null);
  const train = perSec('train64');
  return {
    latencyMs: get('latency1')?.ms ?? null,
    inferPerSec: perSec('infer64'),
    trainPerSec: train,
    trainGflops: train ? (train * 3 * model.flops) / 1e9 : null,
    coldMs: get('coldStart')?.ms ?? null,
    errors: Object.fromEntries(['latency1', 'infer64', 'train64', 'coldStart'].map((k) => [k, get(k)?.error ?? null])),
    samples: Object.fromEntries(['latency1', 'infer64', 'train64', 'coldStart'].map((k) => [k, get(k)?.samples ?? 0])),
  };
}

export function peakGflops(result) {
  const p = result.peak;
  return p && Number.isFinite(p.gflops) ? p.gflops : null;
}

/** The issue's targets, evaluated per model from this run's medians. */
export function targets(result) {
  const rows = [];
  for (const model of result.models) {
    // Prefer the peak sampled between this model's training rounds (same minutes as the training figures).
    const peak = Number.isFinite(model.peakDuringTraining?.gflops) ? model.peakDuringTraining.gflops : peakGflops(result);
    const s = figures(model, 'simdnet', result.batch);
    const peer = (id) => figures(model, id, result.batch);
    const ratio = (a, b) => (a && b ? a / b : null);
    const add = (what, value, goal, higherIsBetter, detail) => {
      const met = value == null ? null : higherIsBetter ? value >= goal : value <= goal;
      rows.push({ model: model.title, what, value, goal, met, detail });
    };
    const cj = peer('convnetjs'), tc = peer('tfjs-cpu'), tw = peer('tfjs-wasm'), ow = peer('ort-web');
    add('training ≥ 30× ConvNetJS', ratio(s.trainPerSec, cj.trainPerSec), 30, true,
      `${f(s.trainPerSec, 1)} vs ${f(cj.trainPerSec, 1)} images/s`);
    add('training ≥ 100× TF.js cpu', ratio(s.trainPerSec, tc.trainPerSec), 100, true,
      `${f(s.trainPerSec, 1)} vs ${tc.trainPerSec ? f(tc.trainPerSec, 2) : tc.errors.train64 ?? 'n/a'} images/s`);
    add('training ≥ 40 % of wasm SIMD peak', peak && s.trainGflops ? s.trainGflops / peak : null, 0.4, true,
      `${f(s.trainGflops, 2)} of ${f(peak, 1)} GFLOP/s`);
    add('batch-1 latency ≤ 0.5× TF.js wasm', ratio(s.latencyMs, tw.latencyMs), 0.5, false,
      `${f(s.latencyMs, 3)} vs ${f(tw.latencyMs, 3)} ms`);
    add('batch-64 inference ≥ 1.5× TF.js wasm', ratio(s.inferPerSec, tw.inferPerSec), 1.5, true,
      `${f(s.inferPerSec)} vs ${f(tw.inferPerSec)} images/s`);
    add('batch-64 inference ≥ 1× ONNX Runtime Web', ratio(s.inferPerSec, ow.inferPerSec), 1, true,
      `${f(s.inferPerSec)} vs ${f(ow.inferPerSec)} images/s`);
  }
  return rows;
}

function cell(value, error, digits) {
  if (value != null) return f(value, digits);
  return error ? `✗ ${short(error)}` : 'n/a';
}

export function toMarkdown(result, { command } = {}) {
  const e = result.environment;
  const peak = peakGflops(result);
  const out = [];
  if (command) out.push(`Command: \`${command}\` (${result.quick ? 'quick mode: fewer, shorter repetitions' : 'full run'}; ${f(result.seconds)} s).`, '');
  const load = Number.isFinite(e.loadAverage1m) ? ` 1-minute load average ${e.loadAverage1m.toFixed(1)} at the start, ${Number.isFinite(e.loadAverage1mEnd) ? e.loadAverage1mEnd.toFixed(1) : '?'} at the end (shared machine).` : '';
  out.push(`Machine: ${e.cpu}, ${e.cores} cores, ${e.platform}; ${e.runtime}. Run started ${result.started}.${load}`);
  const libs = result.libraries.map((l) => (l.error ? `${l.label}: ✗ ${short(l.error)}` : `${l.label} ${l.version} (${l.threads} thread${l.threads > 1 ? 's' : ''}; ${l.notes})`));
  out.push(`Libraries: ${libs.join('; ')}.`);
  out.push(`wasm SIMD peak, end of the run: ${peak ? `${f(peak, 1)} GFLOP/s (${result.peak.source})` : `n/a${result.peak?.error ? ` (${short(result.peak.error)})` : ''}`}.`);
  out.push(`Training: ${result.optimizer}; batch ${result.batch}, one optimizer step per batch. Medians of interleaved repetitions.`, '');

  for (const model of result.models) {
    const pk = model.peakDuringTraining ? ` wasm SIMD peak sampled between its training rounds: ${f(model.peakDuringTraining.gflops, 1)} GFLOP/s.` : '';
    out.push(`**${model.title}** — ${f(model.params)} parameters, ${f(model.flops / 1e6, 2)} MFLOP per image forward (a training step counted as 3×).${pk}`, '');
    out.push('| library | check: max abs diff | batch-1 latency (ms) | batch-64 inference (images/s) | batch-64 training (images/s) | training GFLOP/s | cold start (ms) | simdnet speed ÷ this one (b1 · b64 · train) |');
    out.push('|---|---|---|---|---|---|---|---|');
    const mine = figures(model, 'simdnet', result.batch);
    const x = (v) => (v != null && Number.isFinite(v) ? `${f(v, v < 10 ? 2 : v < 100 ? 1 : 0)}×` : '—');
    const speedups = (fig, id) => (id === 'simdnet' ? '1' : [
      x(fig.latencyMs && mine.latencyMs ? fig.latencyMs / mine.latencyMs : null),
      x(fig.inferPerSec && mine.inferPerSec ? mine.inferPerSec / fig.inferPerSec : null),
      x(fig.trainPerSec && mine.trainPerSec ? mine.trainPerSec / fig.trainPerSec : null),
    ].join(' · '));
    for (const lib of result.libraries) {
      if (lib.error) continue;
      const c = model.check[lib.id];
      const tc = model.trainCheck[lib.id];
      const fig = figures(model, lib.id, result.batch);
      if (c?.error) {
        // Could not build or run the model at all: say why once.
        out.push(`| ${lib.label} | ✗ ${short(c.error)} | — | — | — | — | ${cell(fig.coldMs, fig.errors.coldStart, 0)} | — |`);
        continue;
      }
      let check = c?.error ? `✗ ${short(c.error)}` : c ? `${c.maxAbsDiff.toExponential(1)}${c.ok ? '' : ' ✗'}` : 'n/a';
      if (tc && tc.maxAbsDiff != null) check += `; after 1 step ${tc.maxAbsDiff.toExponential(1)}${tc.ok ? '' : ' ✗'}`;
      const trainCell = fig.trainPerSec != null ? f(fig.trainPerSec, fig.trainPerSec < 100 ? 1 : 0) : tc?.skipped ? 'skipped (--quick)' : lib.inferenceOnly ? '— (inference only)' : cell(null, fig.errors.train64);
      out.push(`| ${lib.label} | ${check} | ${cell(fig.latencyMs, fig.errors.latency1, 3)} | ${cell(fig.inferPerSec, fig.errors.infer64, 0)} | ${trainCell} | ${fig.trainGflops != null ? f(fig.trainGflops, 2) : '—'} | ${cell(fig.coldMs, fig.errors.coldStart, 0)} | ${speedups(fig, lib.id)} |`);
    }
    out.push('');
  }

  const starved = [];
  for (const model of result.models) {
    for (const [metric, byLib] of Object.entries(model.metrics)) {
      for (const [id, v] of Object.entries(byLib)) {
        if (v.cpuShare != null && v.cpuShare < 0.8) starved.push(`${id} ${metric} on ${model.title} (${f(v.cpuShare * 100)} %)`);
      }
    }
  }
  if (starved.length) {
    out.push(`⚠ The machine was busy: these medians ran with less than 80 % of a core (CPU time ÷ wall time), so they are slower than the library is: ${starved.join('; ')}.`, '');
  }
  const rows = targets(result);
  out.push('**Targets (issue 6), single thread, ratios from this run**', '');
  out.push('| model | target | this run | met |', '|---|---|---|---|');
  for (const r of rows) {
    const value = r.value == null ? 'n/a' : r.what.includes('%') ? `${f(r.value * 100, 0)} %` : `${f(r.value, 2)}×`;
    out.push(`| ${r.model} | ${r.what} | ${value} (${r.detail}) | ${r.met == null ? 'not measured' : r.met ? 'yes' : '**no**'} |`);
  }
  out.push('');
  const native = result.models.map((m) => {
    const s = figures(m, 'simdnet', result.batch).inferPerSec, n = figures(m, 'ort-node', result.batch).inferPerSec;
    return s && n ? `${m.title}: onnxruntime-node (native) runs batch-64 inference ${f(n / s, 1)}× simdnet's rate` : null;
  }).filter(Boolean);
  if (native.length) out.push(`Native ceiling: ${native.join('; ')}.`, '');
  if (result.issue13?.markdown) out.push('**Issue 13 targets** (bench/issue13.mjs)', '', result.issue13.markdown, '');
  if (result.kernels?.markdown) out.push('**Kernels**', '', result.kernels.markdown, '');
  return out.join('\n');
}

export const METHOD = `How it is measured (bench/): both models are described once (bench/models.mjs); weights are generated
from a seed in Keras layouts and loaded into every library; inputs are seeded uniform [0, 1) images. Before
anything is timed, each library's softmax outputs on 8 images are compared with a float64 reference forward
pass, and after one SGD step on the same batch the trainable libraries are compared with ConvNetJS (float64);
a library that disagrees is reported and not timed. Layout conversions: ConvNetJS gets one [kh][kw][c] filter
volume per output channel (float64); the ONNX graphs (written by bench/onnx.mjs, opset 13) get OIHW kernels,
the NHWC input passed unchanged with an NCHW shape (identical bytes with one channel), and the first dense
kernel's rows permuted from HWC to CHW flatten order. Each metric runs in rounds — one timed block
(≥ 300 ms, or one call) per library per round, library order rotated every round — and the table shows the
median block. Cold start = import + ready + build with the weights + first batch-1 prediction, timed inside a
fresh Node process per library (the process's own start-up excluded; in the browser, a fresh iframe with the
HTTP cache warm). FLOPs count conv and dense
multiply-adds as 2; a training step is counted as 3× the forward FLOPs.`;
