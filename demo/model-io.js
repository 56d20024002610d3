// Models as TensorFlow.js layers-model artifacts: load them from a model.json, cut them after a layer to see
// intermediate activations, and read a layer's weights. Only the public simdnet API is used: a truncated
// model is a new model built by `sn.loadModel` from the first k layers of the topology and their weights.

/** Loads `model.json` (TF.js format: modelTopology + weightsManifest with shard files) into artifacts. */
export async function fetchArtifacts(modelJsonUrl) {
  const res = await fetch(modelJsonUrl);
  if (!res.ok) throw new Error(`model: ${modelJsonUrl} answered ${res.status}`);
  const json = await res.json();
  if (!json.modelTopology) throw new Error(`model: ${modelJsonUrl} has no modelTopology`);
  if (json.weightData && json.weightSpecs) return json; // already artifacts (not a file layout)
  const weightSpecs = [];
  const buffers = [];
  for (const group of json.weightsManifest ?? []) {
    weightSpecs.push(...group.weights);
    for (const path of group.paths) {
      const shard = await fetch(new URL(path, new URL(modelJsonUrl, location.href)));
      if (!shard.ok) throw new Error(`model: weight file ${path} answered ${shard.status}`);
      buffers.push(new Uint8Array(await shard.arrayBuffer()));
    }
  }
  const weightData = new Uint8Array(buffers.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of buffers) {
    weightData.set(b, at);
    at += b.length;
  }
  return { modelTopology: json.modelTopology, weightSpecs, weightData: weightData.buffer, format: json.format };
}

/** The layer configs of a Sequential topology ({class_name, config}), whichever TF.js/Keras spelling it uses. */
export function topologyLayers(topology) {
  const cfg = topology.config ?? topology.model_config?.config;
  const layers = Array.isArray(cfg) ? cfg : cfg?.layers;
  if (!Array.isArray(layers)) throw new Error('model: the topology is not a Sequential model (no layer list)');
  return layers;
}

const BYTES_PER_VALUE = { float32: 4, int32: 4, bool: 1 };

/** Each weight spec with its byte offset in weightData. */
function locateWeights(weightSpecs) {
  let offset = 0;
  return weightSpecs.map((spec) => {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const bytes = size * (BYTES_PER_VALUE[spec.dtype ?? 'float32'] ?? 4);
    const located = { ...spec, offset, bytes, size };
    offset += bytes;
    return located;
  });
}

function belongsTo(spec, layerName) {
  return spec.name.startsWith(layerName + '/');
}

/** A weight of one layer as { shape, values: Float32Array }, e.g. layerWeight(artifacts, 'conv2d_1', 'kernel'). */
export function layerWeight(artifacts, layerName, weightName) {
  const spec = locateWeights(artifacts.weightSpecs).find((s) => s.name === `${layerName}/${weightName}`);
  if (!spec) return null;
  const values = new Float32Array(artifacts.weightData.slice(spec.offset, spec.offset + spec.bytes));
  return { shape: spec.shape, values };
}

/** Artifacts of the model made of layers [0, lastIndex] of `artifacts`, with those layers' weights. */
export function truncateArtifacts(artifacts, lastIndex) {
  const layers = topologyLayers(artifacts.modelTopology);
  const kept = layers.slice(0, lastIndex + 1);
  const names = kept.map((l) => l.config.name);
  const specs = locateWeights(artifacts.weightSpecs).filter((s) => names.some((n) => belongsTo(s, n)));
  const data = new Uint8Array(specs.reduce((n, s) => n + s.bytes, 0));
  const source = new Uint8Array(artifacts.weightData);
  let at = 0;
  for (const s of specs) {
    data.set(source.subarray(s.offset, s.offset + s.bytes), at);
    at += s.bytes;
  }
  const topo = structuredClone(artifacts.modelTopology);
  const cfg = topo.config ?? topo.model_config.config;
  if (Array.isArray(cfg)) cfg.splice(lastIndex + 1);
  else cfg.layers = cfg.layers.slice(0, lastIndex + 1);
  return {
    modelTopology: topo,
    weightSpecs: specs.map(({ name, shape, dtype }) => ({ name, shape, dtype: dtype ?? 'float32' })),
    weightData: data.buffer,
    format: artifacts.format ?? 'layers-model',
  };
}

// Layers that belong to a convolution "block" when they follow it: we show maps after the non-linearity.
const FOLLOWERS = new Set(['Activation', 'ReLU', 'LeakyReLU', 'ELU', 'BatchNormalization']);

/**
 * Where to cut the model to see each convolution block: for every Conv2D layer, the index of the last
 * layer of its block (the conv itself or the activation / batch-norm right after it), plus its name.
 */
export function convBlocks(artifacts) {
  const layers = topologyLayers(artifacts.modelTopology);
  const blocks = [];
  layers.forEach((layer, i) => {
    if (layer.class_name !== 'Conv2D') return;
    let end = i;
    while (end + 1 < layers.length && FOLLOWERS.has(layers[end + 1].class_name)) end++;
    blocks.push({ convIndex: i, endIndex: end, name: layer.config.name, filters: layer.config.filters });
  });
  return blocks;
}

/** A short description of the architecture, e.g. "Conv2D 8 → MaxPooling2D → Dense 10". */
export function describeTopology(artifacts) {
  return topologyLayers(artifacts.modelTopology)
    .map((l) => {
      const c = l.config;
      const size = c.filters ?? c.units;
      return size ? `${l.class_name} ${size}` : l.class_name;
    })
    .join(' → ');
}
