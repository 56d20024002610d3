// The MNIST models the training CLI offers. Each takes the library (`sn`, the built bundle or src/ in
// tests) so the same definitions serve `npm run train` and the tests.

export const MODELS = {
  // Two convolution blocks and a dense classifier (the Keras "simple MNIST convnet"): 34,826 parameters.
  convnet: (sn) => [
    sn.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
    sn.layers.maxPooling2d({ poolSize: 2 }),
    sn.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
    sn.layers.maxPooling2d({ poolSize: 2 }),
    sn.layers.flatten(),
    sn.layers.dropout({ rate: 0.5 }),
    sn.layers.dense({ units: 10, activation: 'softmax' }),
  ],
  // LeNet-5 with ReLU and max pooling (the 1998 layer sizes): 61,706 parameters.
  lenet5: (sn) => [
    sn.layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }),
    sn.layers.maxPooling2d({ poolSize: 2 }),
    sn.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
    sn.layers.maxPooling2d({ poolSize: 2 }),
    sn.layers.flatten(),
    sn.layers.dense({ units: 120, activation: 'relu' }),
    sn.layers.dense({ units: 84, activation: 'relu' }),
    sn.layers.dense({ units: 10, activation: 'softmax' }),
  ],
  // A one-hidden-layer perceptron, the baseline (about 98 %): 101,770 parameters.
  mlp: (sn) => [
    sn.layers.flatten({ inputShape: [28, 28, 1] }),
    sn.layers.dense({ units: 128, activation: 'relu' }),
    sn.layers.dropout({ rate: 0.2 }),
    sn.layers.dense({ units: 10, activation: 'softmax' }),
  ],
};

export const DEFAULT_MODEL = 'convnet';

/** A compiled model: Adam on sparse categorical cross-entropy, reporting accuracy. */
export function buildModel(sn, name = DEFAULT_MODEL, { learningRate = 1e-3 } = {}) {
  const layers = MODELS[name];
  if (!layers) throw new Error(`unknown model '${name}': choose one of ${Object.keys(MODELS).join(', ')}`);
  const model = sn.sequential(layers(sn));
  model.compile({
    optimizer: sn.optimizers.adam({ learningRate }),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });
  return model;
}
