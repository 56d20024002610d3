// simdnet itself, through its public layers API (the same calls a user writes).

export function simdnetPeer({ threads = 1, simd = 'auto' } = {}) {
  let sn;
  let info;
  return {
    id: 'simdnet',
    label: 'simdnet',
    async init(env) {
      sn = await env.load('simdnet');
      info = await sn.ready({ simd, threads });
      return {
        version: env.simdnetVersion ?? '?',
        threads: info.threads,
        notes: `${info.build} build${info.relaxedSimd ? ' (relaxed SIMD FMA)' : ' (plain SIMD)'}`,
        build: info.build,
      };
    },
    async build(spec, weights, { learningRate }) {
      const layers = spec.layers.map((l, i) => {
        const first = i === 0 ? { inputShape: spec.input } : {};
        if (l.type === 'conv2d') return sn.layers.conv2d({ ...first, filters: l.filters, kernelSize: l.kernel, padding: l.padding, activation: l.activation });
        if (l.type === 'maxPool') return sn.layers.maxPooling2d({ poolSize: l.pool });
        if (l.type === 'flatten') return sn.layers.flatten();
        if (l.type === 'dense') return sn.layers.dense({ ...first, units: l.units, activation: l.activation });
        throw new Error(`simdnet: no layer for ${l.type}`);
      });
      const model = sn.sequential(layers);
      model.compile({ optimizer: sn.optimizers.sgd({ learningRate }), loss: 'sparseCategoricalCrossentropy' });
      const ws = weights.map((w) => sn.tensor(w.data, w.shape));
      model.setWeights(ws);
      ws.forEach((t) => t.dispose());
      const [h, w, c] = spec.input;
      // One optimizer step on one batch: trainOnBatch when the model has it, else fit over exactly one batch.
      const step = typeof model.trainOnBatch === 'function'
        ? (xt, yt) => model.trainOnBatch(xt, yt)
        : (xt, yt, n) => model.fit(xt, yt, { epochs: 1, batchSize: n, shuffle: false, verbose: 0 });
      return {
        predict(x, n) {
          const xt = sn.tensor(x, [n, h, w, c]);
          const y = model.predict(xt, { batchSize: n }); // the whole batch in one pass (the default is 32)
          const out = y.dataSync();
          xt.dispose(); y.dispose();
          return out;
        },
        async train(x, labels, n) {
          const xt = sn.tensor(x, [n, h, w, c]);
          const yt = sn.tensor(Float32Array.from(labels), [n]);
          await step(xt, yt, n);
          xt.dispose(); yt.dispose();
        },
        dispose() { model.dispose?.(); },
      };
    },
  };
}
