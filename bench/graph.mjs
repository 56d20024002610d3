// The layer graph's cost: (1) the same LeNet-5 chain built as sn.sequential and as sn.model, batch-1 predict
// latency interleaved round by round (one engine runs both, so the ratio should be ~1); (2) the residual and
// inception models of bench/models.mjs (GRAPH_MODELS): training images/s and batch-1 predict latency.
//
//   npm run bench -- graph [--rounds=R]
import { GRAPH_MODELS, lenet5, makeWeights } from './models.mjs';
import { perCallSync } from './harness.mjs';

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function filled(sn, shape, seed) {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = (s >>> 8) / 16777216;
  }
  return sn.tensor(data, shape);
}

/** LeNet-5's layers from the shared spec (bench/models.mjs), fresh each call. */
function lenetLayers(sn) {
  const L = sn.layers;
  return lenet5.layers.map((l) => {
    if (l.type === 'conv2d') return L.conv2d({ filters: l.filters, kernelSize: l.kernel, padding: l.padding, activation: l.activation });
    if (l.type === 'maxPool') return L.maxPooling2d({ poolSize: l.pool });
    if (l.type === 'flatten') return L.flatten();
    return L.dense({ units: l.units, activation: l.activation });
  });
}

export async function runGraphBench(sn, { rounds = 5, minMs = 300, log = () => {} } = {}) {
  await sn.ready({ threads: 1 });
  sn.setSeed(7);
  // (1) the chain both ways, same weights.
  const seq = sn.sequential([sn.layers.inputLayer({ inputShape: lenet5.input }), ...lenetLayers(sn)]);
  const input = sn.input({ shape: lenet5.input });
  let h = input;
  for (const layer of lenetLayers(sn)) h = layer.apply(h);
  const fn = sn.model({ inputs: input, outputs: h });
  const weights = makeWeights(lenet5).map((w) => sn.tensor(w.data, w.shape));
  seq.setWeights(weights);
  fn.setWeights(weights);
  weights.forEach((w) => w.dispose());
  const one = filled(sn, [1, ...lenet5.input], 3);
  // Calls alternate one by one (A B B A …), so load on a shared machine hits both alike; medians per model.
  const chain = { sequential: [], model: [] };
  const time = (m) => {
    const t0 = performance.now();
    m.predict(one).dispose();
    return (performance.now() - t0) * 1000;
  };
  for (let i = 0; i < 50; i++) time(seq) + time(fn); // warm-up
  const calls = Math.max(200, Math.round((rounds * minMs * 1000) / Math.max(1, time(seq))));
  for (let i = 0; i < calls; i++) {
    if (i % 2) {
      chain.model.push(time(fn));
      chain.sequential.push(time(seq));
    } else {
      chain.sequential.push(time(seq));
      chain.model.push(time(fn));
    }
  }
  const chainRow = {
    calls,
    sequentialUs: median(chain.sequential),
    modelUs: median(chain.model),
  };
  chainRow.ratio = chainRow.modelUs / chainRow.sequentialUs;
  log(`  LeNet-5 batch-1 predict: Sequential ${chainRow.sequentialUs.toFixed(0)} µs, sn.model ${chainRow.modelUs.toFixed(0)} µs (ratio ${chainRow.ratio.toFixed(3)})`);
  for (const t of [one]) t.dispose();
  seq.dispose();
  fn.dispose();

  // (2) the graph models.
  const rows = [];
  for (const spec of GRAPH_MODELS) {
    sn.setSeed(11);
    const model = sn.model(spec.build(sn));
    model.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy' });
    const n = spec.trainBatch * 2;
    const x = filled(sn, [n, ...spec.input], 5);
    const y = sn.tensor(new Float32Array(n).map((_, i) => i % 10), [n]);
    const x1 = filled(sn, [1, ...spec.input], 9);
    await model.fit(x, y, { epochs: 1, batchSize: spec.trainBatch, shuffle: false, verbose: 0 }); // warm-up
    const train = [];
    const latency = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      await model.fit(x, y, { epochs: 1, batchSize: spec.trainBatch, shuffle: false, verbose: 0 });
      train.push(n / ((performance.now() - t0) / 1000));
      latency.push(perCallSync(() => model.predict(x1).dispose(), minMs));
    }
    const row = { model: spec.title, params: model.countParams(), trainImagesPerSec: median(train), trainBatch: spec.trainBatch, predictMs: median(latency) };
    log(`  ${row.model}: ${row.params.toLocaleString('en-US')} params, train ${row.trainImagesPerSec.toFixed(1)} images/s (batch ${row.trainBatch}), batch-1 predict ${row.predictMs.toFixed(2)} ms`);
    rows.push(row);
    for (const t of [x, y, x1]) t.dispose();
    model.dispose();
  }
  return { rounds, chain: chainRow, models: rows };
}

export function graphTable(result) {
  const c = result.chain;
  const out = [
    `LeNet-5, batch-1 predict, median of ${result.chain.calls} calls of each, alternated one by one: Sequential ${c.sequentialUs.toFixed(0)} µs, the same chain as sn.model ${c.modelUs.toFixed(0)} µs (${((c.ratio - 1) * 100).toFixed(1)} %).`,
    '',
    '| model (sn.model) | params | training, images/s | batch-1 predict, ms |',
    '|---|---|---|---|',
  ];
  for (const r of result.models) out.push(`| ${r.model} | ${r.params.toLocaleString('en-US')} | ${r.trainImagesPerSec.toFixed(1)} (batch ${r.trainBatch}) | ${r.predictMs.toFixed(2)} |`);
  return out.join('\n');
}
