// TensorFlow.js layers with its `cpu` (plain JS) or `wasm` (XNNPACK, SIMD) backend. Both backends live in
// one `tf` module, so each instance switches the global backend in `activate()` (untimed) before its block.

/** @param {'cpu'|'wasm'} backend */
export function tfjsPeer(backend) {
  let tf;
  return {
    id: `tfjs-${backend}`,
    label: `TF.js ${backend}`,
    async init(env) {
      tf = await env.load('tfjs', { wasm: backend === 'wasm' });
      await tf.setBackend(backend);
      await tf.ready();
      // The cpu backend prints a tfjs-node advertisement on its first write in Node; it is not news here.
      if (backend === 'cpu') tf.backend().firstUse = false;
      const simd = backend === 'wasm' ? tf.env().getBool('WASM_HAS_SIMD_SUPPORT') : false;
      const mt = backend === 'wasm' ? tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') : false;
      return {
        version: tf.version.tfjs,
        threads: 1,
        notes: backend === 'wasm' ? `XNNPACK, SIMD ${simd ? 'on' : 'off'}, threads ${mt ? 'available but off' : 'unavailable'}` : 'plain JS',
      };
    },
    async build(spec, weights, { learningRate }) {
      await tf.setBackend(backend);
      const layers = spec.layers.map((l, i) => {
        const first = i === 0 ? { inputShape: spec.input } : {};
        if (l.type === 'conv2d') return tf.layers.conv2d({ ...first, filters: l.filters, kernelSize: l.kernel, padding: l.padding, activation: l.activation });
        if (l.type === 'maxPool') return tf.layers.maxPooling2d({ poolSize: l.pool });
        if (l.type === 'flatten') return tf.layers.flatten();
        if (l.type === 'dense') return tf.layers.dense({ ...first, units: l.units, activation: l.activation });
        throw new Error(`tfjs: no layer for ${l.type}`);
      });
      const model = tf.sequential({ layers });
      model.compile({ optimizer: tf.train.sgd(learningRate), loss: 'sparseCategoricalCrossentropy' });
      const ws = weights.map((w) => tf.tensor(w.data, w.shape));
      model.setWeights(ws);
      ws.forEach((t) => t.dispose());
      const [h, w, c] = spec.input;
      return {
        async activate() { if (tf.getBackend() !== backend) await tf.setBackend(backend); },
        predict(x, n) {
          const xt = tf.tensor4d(x, [n, h, w, c]);
          const y = model.predict(xt, { batchSize: n }); // the whole batch in one pass (the default is 32)
          const out = y.dataSync();
          xt.dispose(); y.dispose();
          return out;
        },
        async train(x, labels, n) {
          const xt = tf.tensor4d(x, [n, h, w, c]);
          const yt = tf.tensor2d(Float32Array.from(labels), [n, 1]);
          await model.trainOnBatch(xt, yt);
          xt.dispose(); yt.dispose();
        },
        dispose() { model.dispose(); },
      };
    },
  };
}
