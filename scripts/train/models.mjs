// The models the training CLI offers. Each takes the library (`sn`, the built bundle or src/ in tests) and
// the image shape ([28, 28, 1] for MNIST and Fashion-MNIST, [32, 32, 3] for CIFAR-10), so the same
// definitions serve `npm run train` and the tests.

export const MODELS = {
  // Two convolution blocks and a dense classifier (the Keras "simple MNIST convnet"): 34,826 parameters.
  convnet: (sn, inputShape = [28, 28, 1]) => [
    sn.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape }),
    sn.layers.maxPooling2d({ poolSize: 2 }),
    sn.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
    sn.layers.maxPooling2d({ poolSize: 2 }),
    sn.layers.flatten(),
    sn.layers.dropout({ rate: 0.5 }),
    sn.layers.dense({ units: 10, activation: 'softmax' }),
  ],
  // Two blocks of two 3x3 convolutions (16, 32 | 32, 64 filters), each followed by batch normalization (after the
  // ReLU, as in the Kaggle models that reach 99.6-99.7 % with augmentation; it also spares an activation pass),
  // max pooling after each block, then Dense 128 with batch normalization, dropout 0.3 and a softmax:
  // 166,122 parameters (544 of them moving statistics), about twice the convnet's multiply-adds per image (5 M).
  'convnet-bn': (sn, inputShape = [28, 28, 1]) => {
    const L = sn.layers;
    const conv = (filters, first = false) => [
      L.conv2d({ filters, kernelSize: 3, activation: 'relu', ...(first ? { inputShape } : {}) }),
      L.batchNormalization(),
    ];
    return [
      ...conv(16, true),
      ...conv(32),
      L.maxPooling2d({ poolSize: 2 }),
      ...conv(32),
      ...conv(64),
      L.maxPooling2d({ poolSize: 2 }),
      L.flatten(),
      L.dense({ units: 128, activation: 'relu' }),
      L.batchNormalization(),
      L.dropout({ rate: 0.3 }),
      L.dense({ units: 10, activation: 'softmax' }),
    ];
  },
  // LeNet-5 with ReLU and max pooling (the 1998 layer sizes): 61,706 parameters.
  lenet5: (sn, inputShape = [28, 28, 1]) => [
    sn.layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', inputShape }),
    sn.layers.maxPooling2d({ poolSize: 2 }),
    sn.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
    sn.layers.maxPooling2d({ poolSize: 2 }),
    sn.layers.flatten(),
    sn.layers.dense({ units: 120, activation: 'relu' }),
    sn.layers.dense({ units: 84, activation: 'relu' }),
    sn.layers.dense({ units: 10, activation: 'softmax' }),
  ],
  // A one-hidden-layer perceptron, the baseline (about 98 %): 101,770 parameters.
  mlp: (sn, inputShape = [28, 28, 1]) => [
    sn.layers.flatten({ inputShape }),
    sn.layers.dense({ units: 128, activation: 'relu' }),
    sn.layers.dropout({ rate: 0.2 }),
    sn.layers.dense({ units: 10, activation: 'softmax' }),
  ],
};

export const DEFAULT_MODEL = 'convnet';

/**
 * The augmentation `--augment` puts at the model's input (active in fit only): small shifts, turns and
 * zooms of digits on a black background; clothes are mirrored left-right and shifted (a mirrored shirt is
 * still a shirt, and they are photographed upright at one scale); CIFAR-10 photos the same, the borders
 * reflected.
 */
export function augmentation(sn, dataset, inputShape) {
  const L = sn.layers;
  if (dataset === 'cifar10' || dataset === 'fashion') {
    return [
      L.randomFlip({ mode: 'horizontal', inputShape }),
      L.randomTranslation({ heightFactor: 0.1, widthFactor: 0.1, fillMode: dataset === 'cifar10' ? 'reflect' : 'constant' }),
    ];
  }
  return [
    L.randomTranslation({ heightFactor: 0.1, widthFactor: 0.1, fillMode: 'constant', inputShape }),
    L.randomRotation({ factor: 0.03, fillMode: 'constant' }),
    L.randomZoom({ heightFactor: 0.1, fillMode: 'constant' }),
  ];
}

/** Describes augmentation layers in one line: `randomTranslation(±10 %, ±10 %) …`. */
export function describeAugmentation(layers) {
  const pct = ([lo, hi]) => (lo === -hi ? `±${Math.round(hi * 100)} %` : `${Math.round(lo * 100)}..${Math.round(hi * 100)} %`);
  return layers
    .map((l) => {
      if (l.className === 'RandomTranslation') return `randomTranslation(height ${pct(l.heightFactor)}, width ${pct(l.widthFactor)}, fill ${l.fillMode})`;
      if (l.className === 'RandomRotation') return `randomRotation(±${Math.round(l.factor[1] * 360)}°, fill ${l.fillMode})`;
      if (l.className === 'RandomZoom') return `randomZoom(${pct(l.heightFactor)}, fill ${l.fillMode})`;
      if (l.className === 'RandomFlip') return `randomFlip(${l.mode})`;
      return l.className;
    })
    .join(', ');
}

/**
 * A compiled model: Adam (a number or a schedule as learning rate) on sparse categorical cross-entropy,
 * reporting accuracy; `augment` (layers) go first.
 */
export function buildModel(sn, name = DEFAULT_MODEL, { learningRate = 1e-3, inputShape = [28, 28, 1], augment = [] } = {}) {
  const layers = MODELS[name];
  if (!layers) throw new Error(`unknown model '${name}': choose one of ${Object.keys(MODELS).join(', ')}`);
  // With augmentation first, it carries the input shape (null: the model's own layers declare none).
  const model = sn.sequential([...augment, ...layers(sn, augment.length ? null : inputShape)]);
  model.compile({
    optimizer: sn.optimizers.adam({ learningRate }),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });
  return model;
}
