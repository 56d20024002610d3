// ConvNetJS 0.3: plain JS, float64 volumes, one image at a time. Its filters are Vol(kw, kh, c) indexed
// [ky][kx][c] and its volumes are HWC, so a Keras kernel [kh, kw, c, f] becomes one Vol per filter f.
// Its Trainer sums gradients over `batch_size` images and takes one SGD step (momentum 0 here).

export function convnetjsPeer() {
  let convnetjs;
  return {
    id: 'convnetjs',
    label: 'ConvNetJS',
    async init(env) {
      convnetjs = await env.load('convnetjs');
      return { version: '0.3.0', threads: 1, notes: 'plain JS, float64, one image at a time' };
    },
    async build(spec, weights, { learningRate, batch }) {
      const [h, w, c] = spec.input;
      const defs = [{ type: 'input', out_sx: w, out_sy: h, out_depth: c }];
      for (const l of spec.layers) {
        if (l.type === 'conv2d') {
          if (l.padding === 'same' && l.kernel % 2 === 0) throw new Error('convnetjs: same padding needs an odd kernel');
          defs.push({ type: 'conv', sx: l.kernel, filters: l.filters, stride: 1, pad: l.padding === 'same' ? (l.kernel - 1) / 2 : 0, activation: l.activation });
        } else if (l.type === 'maxPool') defs.push({ type: 'pool', sx: l.pool, stride: l.pool });
        else if (l.type === 'flatten') continue; // fc layers read the HWC volume in order already
        else if (l.type === 'dense' && l.activation === 'softmax') defs.push({ type: 'softmax', num_classes: l.units });
        else if (l.type === 'dense') defs.push({ type: 'fc', num_neurons: l.units, activation: l.activation });
      }
      const net = new convnetjs.Net();
      net.makeLayers(defs);
      let wi = 0;
      for (const layer of net.layers) {
        if (layer.layer_type !== 'conv' && layer.layer_type !== 'fc') continue;
        const k = weights[wi++], b = weights[wi++];
        const units = k.shape[k.shape.length - 1];
        const perFilter = k.data.length / units;
        for (let f = 0; f < units; f++) {
          const fw = layer.filters[f].w;
          for (let i = 0; i < perFilter; i++) fw[i] = k.data[i * units + f];
        }
        layer.biases.w.set(b.data);
      }
      const trainer = new convnetjs.Trainer(net, { method: 'sgd', learning_rate: learningRate, batch_size: batch, momentum: 0, l2_decay: 0 });
      const vol = new convnetjs.Vol(w, h, c, 0);
      const size = h * w * c;
      return {
        predict(x, n) {
          let out = null;
          for (let i = 0; i < n; i++) {
            vol.w.set(x.subarray(i * size, (i + 1) * size));
            const y = net.forward(vol, false).w;
            if (!out) out = new Float32Array(n * y.length);
            out.set(y, i * y.length);
          }
          return out;
        },
        train(x, labels, n) {
          if (n !== batch) throw new Error(`convnetjs: the trainer steps every ${batch} images, got ${n}`);
          for (let i = 0; i < n; i++) {
            vol.w.set(x.subarray(i * size, (i + 1) * size));
            trainer.train(vol, labels[i]);
          }
        },
        dispose() {},
      };
    },
  };
}
