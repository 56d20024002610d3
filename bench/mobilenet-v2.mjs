// MobileNetV2 (Sandler et al. 2018; Keras applications.MobileNetV2, alpha 1.0, 224x224x3, 1000 classes) for
// any library with TF.js's layers API: `mobileNetV2({ layers, input, model })` builds it with sn.* or tf.*,
// layer by layer the same (3,538,984 parameters). Stride-2 convs use padding 'same' (Keras pads with
// ZeroPadding2D + 'valid'; the cost is the same). Plain JS: benches and tests import it.

/** (expansion t, output channels c, repeats n, first stride s) per stage, from the paper's Table 2. */
export const MOBILENET_V2_STAGES = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]];

export const MOBILENET_V2_PARAMS = 3538984;

export function mobileNetV2({ layers: L, input, model }, { inputShape = [224, 224, 3], classes = 1000 } = {}) {
  const bn = (x) => L.batchNormalization({ epsilon: 1e-3, momentum: 0.999 }).apply(x);
  const relu6 = (x) => L.reLU({ maxValue: 6 }).apply(x);
  const conv = (x, filters, k, strides = 1) => L.conv2d({ filters, kernelSize: k, strides, padding: 'same', useBias: false }).apply(x);
  const x0 = input({ shape: inputShape });
  let x = relu6(bn(conv(x0, 32, 3, 2)));
  let channels = 32;
  for (const [t, c, n, s] of MOBILENET_V2_STAGES) {
    for (let i = 0; i < n; i++) {
      const strides = i === 0 ? s : 1;
      const shortcut = x;
      let h = x;
      if (t !== 1) h = relu6(bn(conv(h, channels * t, 1)));
      h = relu6(bn(L.depthwiseConv2d({ kernelSize: 3, strides, padding: 'same', useBias: false }).apply(h)));
      h = bn(conv(h, c, 1));
      x = strides === 1 && channels === c ? L.add({}).apply([shortcut, h]) : h;
      channels = c;
    }
  }
  x = relu6(bn(conv(x, 1280, 1)));
  x = L.globalAveragePooling2d({}).apply(x);
  const y = L.dense({ units: classes, activation: 'softmax' }).apply(x);
  return model({ inputs: x0, outputs: y });
}
