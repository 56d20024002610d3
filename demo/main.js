// The demo page: draw a digit, watch the network classify it live, see its filters and feature maps, and
// train a fresh network in a worker. It imports the same ESM bundle that Node uses.
import * as sn from '../dist/simdnet.js';
import { DrawPad, INK_SIZE } from './draw-pad.js';
import { preprocessDigit } from './preprocess.js';
import { fetchArtifacts, layerWeight, truncateArtifacts, convBlocks, describeTopology } from './model-io.js';
import { canvasGrid, drawFeatureMaps, drawFilters, drawGrey } from './render.js';
import { TrainingPlot } from './plot.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const MODEL_URL = params.get('model') ?? './model/model.json';

// State the tests (and curious people in the console) can read.
const demo = {
  state: 'loading',
  timings: { moduleMs: performance.now() }, // when the bundle and the page's modules have been evaluated
  prediction: null,
  probabilities: null,
  trainLog: [],
  trainResult: null,
  model: null,
};
window.simdnetDemo = demo;

let current = null; // { model, artifacts, probes: [{ model, block }], source, label }
let pretrained = null;

// ---- features ---------------------------------------------------------------------------------------

function showFeatures(info) {
  const chips = [
    [String(info.build).startsWith('relaxed') ? 'Relaxed SIMD (FMA)' : 'WebAssembly SIMD', true],
    [`${info.threads ?? 1} thread${(info.threads ?? 1) === 1 ? '' : 's'}`, (info.threads ?? 1) > 1],
    [crossOriginIsolated ? 'shared memory' : 'no shared memory', crossOriginIsolated],
  ];
  $('features').replaceChildren(
    ...chips.map(([text, on]) => {
      const li = document.createElement('li');
      li.className = on ? 'chip on' : 'chip muted';
      li.textContent = text;
      return li;
    }),
  );
  document.documentElement.dataset.build = info.build;
  document.documentElement.dataset.threads = String(info.threads ?? 1);
}

function showTrainingThreads(n) {
  document.documentElement.dataset.trainThreads = String(n);
  let chip = document.getElementById('train-threads-chip');
  if (!chip) {
    chip = document.createElement('li');
    chip.id = 'train-threads-chip';
    $('features').append(chip);
  }
  chip.className = n > 1 ? 'chip on' : 'chip muted';
  chip.textContent = `training: ${n} thread${n === 1 ? '' : 's'}`;
  chip.title = 'Threads the training worker runs its kernels on';
}

// ---- models -----------------------------------------------------------------------------------------

/** A model plus truncated copies of it that end after each of its first two convolution blocks. */
async function prepareModel(artifacts, source, label) {
  const model = await sn.loadModel(artifacts);
  const blocks = convBlocks(artifacts).slice(0, 2);
  const probes = [];
  for (const block of blocks) probes.push({ block, model: await sn.loadModel(truncateArtifacts(artifacts, block.endIndex)) });
  return { model, artifacts, probes, source, label };
}

function disposeModel(m) {
  if (!m || m === pretrained) return;
  for (const x of [m.model, ...m.probes.map((p) => p.model)]) x.dispose?.();
}

function useModel(m) {
  if (current && current !== m) disposeModel(current);
  current = m;
  demo.model = m.source;
  document.documentElement.dataset.model = m.source;
  $('model-name').textContent = m.label;
  $('model-name').title = describeTopology(m.artifacts);
  $('use-pretrained').hidden = !pretrained || m === pretrained;
  showFilters(m);
  classify();
}

function showFilters(m) {
  const first = m.probes[0];
  const filtersBox = $('filters');
  if (!first) {
    filtersBox.innerHTML = '<p class="empty-note">This model has no convolution layer.</p>';
    return;
  }
  const kernel = layerWeight(m.artifacts, first.block.name, 'kernel');
  const [kh, kw, cin, f] = kernel.shape;
  $('filters-info').textContent = `${f} × ${kh}×${kw}`;
  drawFilters(canvasGrid(filtersBox, f), kernel.values, kh, kw, cin, f);
  $('maps2-panel').hidden = m.probes.length < 2;
  // Lay out the feature-map grids now (black until something is drawn) so the page does not jump.
  const zeros = sn.tensor(new Float32Array(784), [1, 28, 28, 1]);
  m.probes.forEach((probe, i) => {
    const out = probe.model.predict(zeros);
    const [, h, w, c] = out.shape;
    out.dispose();
    probe.shape = [h, w, c];
    const box = $(i === 0 ? 'maps1' : 'maps2');
    $(i === 0 ? 'maps1-info' : 'maps2-info').textContent = `${c} × ${h}×${w}`;
    drawFeatureMaps(canvasGrid(box, c), new Float32Array(h * w * c), h, w, c);
  });
  zeros.dispose();
}

// ---- classification ---------------------------------------------------------------------------------

const pad = new DrawPad($('pad'), { onChange: scheduleClassify, onStrokeEnd: scheduleClassify });
let pendingFrame = 0;

function scheduleClassify() {
  $('pad-hint').classList.toggle('hidden', !pad.isEmpty);
  if (pendingFrame) return;
  pendingFrame = requestAnimationFrame(() => {
    pendingFrame = 0;
    classify();
  });
}

const bars = [];
function buildBars() {
  const ol = $('bars');
  for (let d = 0; d < 10; d++) {
    const li = document.createElement('li');
    li.innerHTML = `<span class="d">${d}</span><span class="track"><span class="fill"></span></span><span class="p">–</span>`;
    ol.append(li);
    bars.push({ li, fill: li.querySelector('.fill'), p: li.querySelector('.p') });
  }
}

function softmaxIfNeeded(values) {
  let sum = 0;
  let negative = false;
  for (const v of values) {
    sum += v;
    if (v < 0) negative = true;
  }
  if (!negative && Math.abs(sum - 1) < 1e-3) return values;
  const max = Math.max(...values);
  const e = values.map((v) => Math.exp(v - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

function showPrediction(probs) {
  demo.probabilities = probs ? Array.from(probs) : null;
  let best = -1;
  if (probs) for (let d = 0; d < 10; d++) if (best < 0 || probs[d] > probs[best]) best = d;
  demo.prediction = best >= 0 ? best : null;
  const digit = $('pred-digit');
  digit.textContent = best >= 0 ? String(best) : '?';
  digit.classList.toggle('empty', best < 0);
  digit.dataset.digit = best >= 0 ? String(best) : '';
  $('pred-conf').textContent = best >= 0 ? `${(probs[best] * 100).toFixed(1)} % sure` : 'draw a digit';
  bars.forEach((bar, d) => {
    const p = probs ? probs[d] : 0;
    bar.fill.style.width = `${(p * 100).toFixed(1)}%`;
    bar.p.textContent = probs ? (p < 0.0005 ? '0%' : `${(p * 100).toFixed(1)}%`) : '–';
    bar.li.classList.toggle('best', d === best);
  });
}

function clearMaps() {
  current?.probes.forEach((probe, i) => {
    const [h, w, c] = probe.shape;
    drawFeatureMaps(canvasGrid($(i === 0 ? 'maps1' : 'maps2'), c), new Float32Array(h * w * c), h, w, c);
  });
}

/** Runs the current drawing through the model (and the truncated models for the feature maps). */
function classify() {
  if (!current) return;
  const input = pad.isEmpty ? null : preprocessDigit(pad.inkAlpha(), INK_SIZE, INK_SIZE);
  drawGrey($('input28'), input ?? new Float32Array(784), 28, 28);
  if (!input) {
    showPrediction(null);
    clearMaps();
    return;
  }
  const t0 = performance.now();
  const x = sn.tensor(input, [1, 28, 28, 1]);
  try {
    const y = current.model.predict(x);
    const probs = softmaxIfNeeded(Array.from(y.dataSync()));
    y.dispose();
    showPrediction(probs);
    current.probes.forEach((probe, i) => {
      const out = probe.model.predict(x);
      const [, h, w, c] = out.shape;
      const box = $(i === 0 ? 'maps1' : 'maps2');
      drawFeatureMaps(canvasGrid(box, c), out.dataSync(), h, w, c);
      out.dispose();
    });
  } finally {
    x.dispose();
  }
  demo.timings.lastClassifyMs = performance.now() - t0;
  $('timings').textContent = timingLine();
}

function timingLine() {
  const t = demo.timings;
  const parts = [];
  if (t.firstPredictionMs != null) parts.push(`ready ${Math.round(t.firstPredictionMs)} ms after page load`);
  if (t.lastClassifyMs != null) parts.push(`last drawing classified in ${t.lastClassifyMs.toFixed(1)} ms`);
  return parts.join(' · ');
}

// ---- training in a worker ---------------------------------------------------------------------------

const plot = new TrainingPlot($('plot'));
let worker = null;
let stopFlag = null;

function setTraining(on) {
  $('train').disabled = on;
  $('stop').disabled = !on;
  $('train-count').disabled = on;
  $('train-epochs').disabled = on;
  document.documentElement.dataset.training = on ? 'running' : 'idle';
}

function trainStatus(text, isError = false) {
  const el = $('train-status');
  el.textContent = text;
  el.classList.toggle('error', isError);
}

function startTraining(event) {
  event.preventDefault();
  const trainCount = Number($('train-count').value);
  const epochs = Number($('train-epochs').value);
  const batchSize = 64;
  worker ??= new Worker(new URL('./train-worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = (e) => onWorkerMessage(e.data, epochs);
  worker.onerror = (e) => {
    demo.trainResult = { error: e.message ?? 'the worker could not start' };
    trainStatus(`Training failed: ${e.message ?? 'the worker could not start'}`, true);
    setTraining(false);
  };
  // A flag on shared memory reaches the worker even while it is busy inside fit().
  stopFlag = crossOriginIsolated ? new Int32Array(new SharedArrayBuffer(4)) : null;
  demo.trainLog = [];
  demo.trainResult = null;
  plot.reset(Math.ceil(trainCount / batchSize) * epochs);
  setTraining(true);
  trainStatus('Starting the worker…');
  // Training runs in a worker, where a thread pool may block: use every core unless ?threads=N says otherwise.
  const threads = (params.get('threads') ?? 'auto') === 'auto' ? 'auto' : Number(params.get('threads'));
  worker.postMessage({ type: 'train', trainCount, epochs, batchSize, learningRate: 2e-3, seed: Number(params.get('seed') ?? 42), threads, stopFlag });
}

let batchesPerEpoch = 1;
async function onWorkerMessage(msg, epochs) {
  if (msg.type === 'status') trainStatus(msg.text);
  else if (msg.type === 'start') {
    batchesPerEpoch = msg.totalSteps / epochs;
    showTrainingThreads(msg.info.threads ?? 1);
    plot.reset(msg.totalSteps);
    trainStatus(`Training on ${msg.trainCount.toLocaleString()} images…`);
  } else if (msg.type === 'batch') {
    demo.trainLog.push({ step: msg.step, loss: msg.loss, acc: msg.acc });
    plot.addBatch(msg.step, msg.loss, msg.acc);
    const epoch = Math.min(epochs, Math.floor((msg.step - 1) / batchesPerEpoch) + 1);
    const acc = msg.acc == null ? '' : ` · accuracy ${(msg.acc * 100).toFixed(0)} %`;
    trainStatus(`Epoch ${epoch}/${epochs} · batch ${msg.step}/${batchesPerEpoch * epochs} · loss ${msg.loss.toFixed(3)}${acc}`);
  } else if (msg.type === 'epoch') {
    const valLoss = msg.logs.val_loss;
    const valAcc = msg.logs.val_acc ?? msg.logs.val_accuracy;
    plot.addEpoch(msg.step, valLoss, valAcc);
  } else if (msg.type === 'done') {
    const { test, seconds, stopped } = msg;
    const trained = await prepareModel(msg.artifacts, 'trained', `trained here (${(test.accuracy * 100).toFixed(1)} % on test digits)`);
    demo.trainResult = { test, seconds, stopped, steps: msg.steps };
    useModel(trained);
    setTraining(false);
    const speed = Math.round((msg.steps * 64) / seconds);
    trainStatus(
      `${stopped ? 'Stopped' : 'Done'} in ${seconds.toFixed(1)} s (${speed.toLocaleString()} images/s) · test accuracy ${(test.accuracy * 100).toFixed(1)} % · draw to try your model.`,
    );
  } else if (msg.type === 'error') {
    demo.trainResult = { error: msg.message };
    setTraining(false);
    trainStatus(`Training failed: ${msg.message}`, true);
  }
}

function stopTraining() {
  if (stopFlag) Atomics.store(stopFlag, 0, 1);
  worker?.postMessage({ type: 'stop' });
  trainStatus('Stopping after this batch…');
}

// ---- start ------------------------------------------------------------------------------------------

async function main() {
  buildBars();
  showPrediction(null);
  $('clear').addEventListener('click', () => pad.clear());
  $('train-form').addEventListener('submit', startTraining);
  $('stop').addEventListener('click', stopTraining);
  $('use-pretrained').addEventListener('click', () => pretrained && useModel(pretrained));
  setTraining(false);

  // Fetch the model while the kernels compile.
  const artifactsPromise = fetchArtifacts(MODEL_URL);
  artifactsPromise.catch(() => undefined); // handled below, after ready()
  const info = await sn.ready();
  demo.timings.readyMs = performance.now();
  showFeatures(info);

  try {
    const artifacts = await artifactsPromise;
    pretrained = await prepareModel(artifacts, 'pretrained', 'pretrained on MNIST');
    demo.timings.modelMs = performance.now();
    useModel(pretrained);
    // One prediction right away: compiles and warms every kernel the drawing will use.
    const x = sn.tensor(new Float32Array(784), [1, 28, 28, 1]);
    for (const m of [pretrained.model, ...pretrained.probes.map((p) => p.model)]) m.predict(x).dispose();
    x.dispose();
    demo.timings.firstPredictionMs = performance.now();
    $('timings').textContent = timingLine();
  } catch (err) {
    console.warn(err);
    $('model-name').textContent = 'no pretrained model here — train one below';
    document.documentElement.dataset.model = 'none';
    $('filters').innerHTML = '<p class="empty-note">Train a model below to see its filters.</p>';
  }
  demo.state = 'ready';
  document.documentElement.dataset.state = 'ready';
}

main().catch((err) => {
  console.error(err);
  demo.state = 'error';
  demo.error = String(err?.message ?? err);
  document.documentElement.dataset.state = 'error';
  $('features').innerHTML = `<li class="chip muted">${demo.error}</li>`;
});
