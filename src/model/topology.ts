// The model topology in TensorFlow.js layers-model form (Keras JSON): to and from layer objects.
// A config from TF.js or Keras loads when every layer is one simdnet supports; anything else is refused
// with an Error that names the layer and its class.
import { regularizerFromConfig } from '../regularizers/index.js';
import * as L from '../layers/index.js';
import { describeValue } from '../describe.js';
import type { Layer } from '../layers/layer.js';

export interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
}

export interface SequentialTopology {
  class_name: 'Sequential';
  config: { name: string; layers: LayerJson[] };
  keras_version: string;
  backend: string;
}

export function layerToJson(layer: Layer): LayerJson {
  return { class_name: layer.className, config: layer.getConfig() };
}

export function topologyOf(name: string, layers: Layer[]): SequentialTopology {
  return {
    class_name: 'Sequential',
    config: { name, layers: layers.map(layerToJson) },
    keras_version: 'tfjs-layers 4.22.0',
    backend: 'tensor_flow.js',
  };
}

type Config = Record<string, unknown>;
type Factory = (c: Config, base: L.LayerArgs) => Layer;

const arr = (v: unknown): number | number[] | undefined => (v === null || v === undefined ? undefined : (v as number | number[]));

function channelsLast(c: Config, where: string): void {
  const f = c.data_format;
  if (f !== undefined && f !== null && f !== 'channels_last') {
    throw new Error(`simdnet: loadModel: layer ${describeValue(where)} uses data_format ${describeValue(f)}; simdnet supports only 'channels_last' (NHWC)`);
  }
}

const conv = (Cls: typeof L.Conv2D | typeof L.Conv1D): Factory => (c, base) => {
  channelsLast(c, base.name!);
  return new Cls({
    ...base,
    filters: c.filters as number,
    kernelSize: arr(c.kernel_size) as number | number[],
    strides: arr(c.strides),
    padding: c.padding as L.Conv2DArgs['padding'],
    dilationRate: arr(c.dilation_rate),
    activation: (c.activation ?? 'linear') as L.ActivationName,
    useBias: c.use_bias === undefined ? true : Boolean(c.use_bias),
    ...regularizerArgs(c, base.name!),
  });
};

const pool = (Cls: new (a: L.Pooling2DArgs) => Layer): Factory => (c, base) => {
  channelsLast(c, base.name!);
  return new Cls({ ...base, poolSize: arr(c.pool_size), strides: arr(c.strides), padding: c.padding as L.Pooling2DArgs['padding'] });
};

// kernel_regularizer / bias_regularizer of dense and conv layers (L1L2, L1, L2).
const regularizerArgs = (c: Config, name: string): L.RegularizerArgs => ({
  kernelRegularizer: regularizerFromConfig(c.kernel_regularizer, `layer '${name}' kernel_regularizer`),
  biasRegularizer: regularizerFromConfig(c.bias_regularizer, `layer '${name}' bias_regularizer`),
});

// The options the 2D conv-like layers share, from a Keras config.
const convOptions = (c: Config) => ({
  kernelSize: arr(c.kernel_size) as number | number[],
  strides: arr(c.strides),
  padding: c.padding as L.Conv2DArgs['padding'],
  dilationRate: arr(c.dilation_rate),
  activation: (c.activation ?? 'linear') as L.ActivationName,
  useBias: c.use_bias === undefined ? true : Boolean(c.use_bias),
});

// Conv2D with Keras's `groups` (a simdnet extension over TF.js).
const conv2d: Factory = (c, base) => {
  channelsLast(c, base.name!);
  return new L.Conv2D({ ...base, ...convOptions(c), filters: c.filters as number, groups: (c.groups ?? 1) as number, ...regularizerArgs(c, base.name!) });
};

const pool3d = (Cls: new (a: L.Pooling3DArgs) => Layer): Factory => (c, base) => {
  channelsLast(c, base.name!);
  return new Cls({ ...base, poolSize: arr(c.pool_size), strides: arr(c.strides), padding: c.padding as L.Pooling3DArgs['padding'] });
};

// fill_mode / interpolation / fill_value / seed of the random geometric layers, from a Keras config.
const warp = (c: Config): L.WarpArgs => ({
  fillMode: (c.fill_mode ?? undefined) as L.FillMode | undefined,
  interpolation: (c.interpolation ?? undefined) as 'bilinear' | undefined,
  fillValue: (c.fill_value ?? undefined) as number | undefined,
  seed: c.seed as number | null,
});

const FACTORIES: Record<string, Factory> = {
  Conv2D: conv2d,
  Convolution2D: conv2d,
  DepthwiseConv2D: (c, base) => (channelsLast(c, base.name!), new L.DepthwiseConv2D({ ...base, ...convOptions(c), depthMultiplier: (c.depth_multiplier ?? 1) as number })),
  SeparableConv2D: (c, base) => (channelsLast(c, base.name!), new L.SeparableConv2D({ ...base, ...convOptions(c), filters: c.filters as number, depthMultiplier: (c.depth_multiplier ?? 1) as number })),
  SeparableConvolution2D: (c, base) => (channelsLast(c, base.name!), new L.SeparableConv2D({ ...base, ...convOptions(c), filters: c.filters as number, depthMultiplier: (c.depth_multiplier ?? 1) as number })),
  Conv2DTranspose: (c, base) => (channelsLast(c, base.name!), new L.Conv2DTranspose({ ...base, ...convOptions(c), filters: c.filters as number })),
  Conv3D: (c, base) => (channelsLast(c, base.name!), new L.Conv3D({ ...base, ...convOptions(c), filters: c.filters as number })),
  MaxPooling3D: pool3d(L.MaxPooling3D),
  MaxPool3D: pool3d(L.MaxPooling3D),
  AveragePooling3D: pool3d(L.AveragePooling3D),
  AvgPool3D: pool3d(L.AveragePooling3D),
  RandomTranslation: (c, base) => new L.RandomTranslation({ ...base, ...warp(c), heightFactor: c.height_factor as number, widthFactor: c.width_factor as number }),
  RandomRotation: (c, base) => new L.RandomRotation({ ...base, ...warp(c), factor: c.factor as number }),
  RandomZoom: (c, base) => new L.RandomZoom({ ...base, ...warp(c), heightFactor: c.height_factor as number, widthFactor: c.width_factor as number | null }),
  RandomFlip: (c, base) => new L.RandomFlip({ ...base, mode: c.mode as L.FlipMode, seed: c.seed as number | null }),
  RandomContrast: (c, base) => new L.RandomContrast({ ...base, factor: c.factor as number, valueRange: c.value_range as [number, number] | undefined, seed: c.seed as number | null }),
  Rescaling: (c, base) => new L.Rescaling({ ...base, scale: c.scale as number, offset: c.offset as number | undefined }),
  Resizing: (c, base) => new L.Resizing({ ...base, height: c.height as number, width: c.width as number, interpolation: c.interpolation as 'bilinear', cropToAspectRatio: c.crop_to_aspect_ratio as boolean }),
  UpSampling2D: (c, base) => (channelsLast(c, base.name!), new L.UpSampling2D({ ...base, size: arr(c.size), interpolation: (c.interpolation ?? 'nearest') as 'nearest' | 'bilinear', coordinates: c.coordinates as L.UpSampling2DArgs['coordinates'] })),
  ZeroPadding2D: (c, base) => (channelsLast(c, base.name!), new L.ZeroPadding2D({ ...base, padding: c.padding as L.ZeroPadding2DArgs['padding'] })),
  Cropping2D: (c, base) => (channelsLast(c, base.name!), new L.Cropping2D({ ...base, cropping: c.cropping as L.Cropping2DArgs['cropping'] })),
  Reshape: (c, base) => new L.Reshape({ ...base, targetShape: c.target_shape as number[] }),
  GlobalAveragePooling1D: (c, base) => (channelsLast(c, base.name!), new L.GlobalAveragePooling1D(base)),
  GlobalAvgPool1D: (c, base) => (channelsLast(c, base.name!), new L.GlobalAveragePooling1D(base)),
  GlobalMaxPooling1D: (c, base) => (channelsLast(c, base.name!), new L.GlobalMaxPooling1D(base)),
  GlobalMaxPool1D: (c, base) => (channelsLast(c, base.name!), new L.GlobalMaxPooling1D(base)),
  Softmax: (c, base) => new L.Softmax({ ...base, axis: (c.axis ?? -1) as number }),
  ReLU: (c, base) =>
    new L.ReLU({ ...base, maxValue: (c.max_value ?? null) as number | null, negativeSlope: (c.negative_slope ?? 0) as number, threshold: (c.threshold ?? 0) as number }),
  ELU: (c, base) => new L.ELU({ ...base, alpha: (c.alpha ?? 1) as number }),
  LayerNormalization: (c, base) =>
    new L.LayerNormalization({ ...base, axis: (c.axis ?? -1) as number | number[], epsilon: (c.epsilon ?? 1e-3) as number, center: c.center !== false, scale: c.scale !== false }),
  Permute: (c, base) => new L.Permute({ ...base, dims: c.dims as number[] }),
  PReLU: (c, base) => new L.PReLU({ ...base, sharedAxes: (c.shared_axes ?? null) as number[] | null }),
  Conv1D: conv(L.Conv1D),
  Convolution1D: conv(L.Conv1D),
  Dense: (c, base) =>
    new L.Dense({
      ...base,
      units: c.units as number,
      activation: (c.activation ?? 'linear') as L.ActivationName,
      useBias: c.use_bias === undefined ? true : Boolean(c.use_bias),
      ...regularizerArgs(c, base.name!),
    }),
  MaxPooling2D: pool(L.MaxPooling2D),
  MaxPool2D: pool(L.MaxPooling2D),
  AveragePooling2D: pool(L.AveragePooling2D),
  AvgPool2D: pool(L.AveragePooling2D),
  MaxPooling1D: pool(L.MaxPooling1D),
  MaxPool1D: pool(L.MaxPooling1D),
  AveragePooling1D: pool(L.AveragePooling1D),
  AvgPool1D: pool(L.AveragePooling1D),
  GlobalAveragePooling2D: (c, base) => (channelsLast(c, base.name!), new L.GlobalAveragePooling2D(base)),
  GlobalAvgPool2D: (c, base) => (channelsLast(c, base.name!), new L.GlobalAveragePooling2D(base)),
  GlobalMaxPooling2D: (c, base) => (channelsLast(c, base.name!), new L.GlobalMaxPooling2D(base)),
  GlobalMaxPool2D: (c, base) => (channelsLast(c, base.name!), new L.GlobalMaxPooling2D(base)),
  Flatten: (c, base) => (channelsLast(c, base.name!), new L.Flatten(base)),
  Dropout: (c, base) => new L.Dropout({ ...base, rate: c.rate as number }),
  Activation: (c, base) => new L.Activation({ ...base, activation: c.activation as L.ActivationName }),
  // Keras 3 calls LeakyReLU's alpha `negative_slope`.
  LeakyReLU: (c, base) => new L.LeakyReLU({ ...base, alpha: (c.alpha ?? c.negative_slope ?? 0.3) as number }),
  Maxout: (c, base) => new L.Maxout({ ...base, groupSize: c.group_size as number }),
  BatchNormalization: (c, base) => {
    const axis = Array.isArray(c.axis) ? (c.axis.length === 1 ? c.axis[0] : NaN) : c.axis;
    return new L.BatchNormalization({
      ...base,
      momentum: c.momentum as number | undefined,
      epsilon: c.epsilon as number | undefined,
      axis: axis as number | undefined,
      center: c.center !== false,
      scale: c.scale !== false,
    });
  },
  Add: (_c, base) => new L.Add(base),
  Subtract: (_c, base) => new L.Subtract(base),
  Multiply: (_c, base) => new L.Multiply(base),
  Average: (_c, base) => new L.Average(base),
  Maximum: (_c, base) => new L.Maximum(base),
  Minimum: (_c, base) => new L.Minimum(base),
  Concatenate: (c, base) => new L.Concatenate({ ...base, axis: c.axis as number | undefined }),
};

const SUPPORTED = Object.keys(FACTORIES).filter((k) => !/Pool\dD$|Convolution|GlobalAvg/.test(k));

/** Makes the layers of a Sequential topology (TF.js's `modelTopology`, or Keras's `model_config`). */
export function layersFromTopology(topology: unknown): { name: string | null; layers: Layer[] } {
  let t = topology as Config | null;
  if (t && typeof t === 'object' && 'model_config' in t) t = t.model_config as Config;
  if (!t || typeof t !== 'object' || typeof t.class_name !== 'string') {
    throw new Error('simdnet: loadModel: modelTopology is missing or not a Keras model config (no class_name)');
  }
  if (t.class_name !== 'Sequential') {
    throw new Error(`simdnet: loadModel: the model is a ${describeValue(t.class_name)}; simdnet loads only Sequential and functional (Model, Functional) models`);
  }
  // Keras 2.0 wrote `config` as the list of layers itself.
  const config = t.config as Config | LayerJson[];
  const list = Array.isArray(config) ? config : (config?.layers as LayerJson[] | undefined);
  const name = Array.isArray(config) ? null : ((config?.name as string | undefined) ?? null);
  if (!Array.isArray(list)) throw new Error('simdnet: loadModel: the Sequential config has no layers list');

  const layers: Layer[] = [];
  let pendingInput: (number | null)[] | undefined;
  for (const [i, entry] of list.entries()) {
    if (!entry || typeof entry !== 'object') throw new Error(`simdnet: loadModel: layer ${i} of the topology is ${describeValue(entry)}, not { class_name, config }`);
    const cls = entry.class_name;
    const c = (entry.config ?? {}) as Config;
    if (typeof c !== 'object' || Array.isArray(c)) throw new Error(`simdnet: loadModel: layer ${i} has a config that is ${describeValue(c)}, not an object`);
    if (c.name !== undefined && (typeof c.name !== 'string' || c.name === '')) {
      throw new Error(`simdnet: loadModel: layer ${i} has name ${describeValue(c.name)}; names are non-empty strings`);
    }
    const layerName = (c.name as string | undefined) ?? `layer ${i}`;
    if (cls === 'InputLayer') {
      pendingInput = (c.batch_input_shape ?? c.batch_shape) as (number | null)[] | undefined;
      continue;
    }
    // Own keys only: a class named '__proto__' or 'constructor' must not find Object's members.
    const factory = typeof cls === 'string' && Object.prototype.hasOwnProperty.call(FACTORIES, cls) ? FACTORIES[cls] : undefined;
    if (!factory) {
      throw new Error(
        `simdnet: loadModel: layer ${describeValue(layerName)} has class ${describeValue(cls)}, which simdnet does not support (supported: ${SUPPORTED.join(', ')})`,
      );
    }
    const batchInputShape = (c.batch_input_shape ?? c.batch_shape ?? pendingInput) as (number | null)[] | undefined;
    pendingInput = undefined;
    const base: L.LayerArgs = { name: c.name as string | undefined, trainable: c.trainable === undefined ? true : Boolean(c.trainable) };
    if (batchInputShape) base.batchInputShape = batchInputShape;
    else if (Array.isArray(c.input_shape)) base.inputShape = c.input_shape as number[];
    try {
      layers.push(factory(c, base));
    } catch (e) {
      const msg = (e as Error).message;
      throw new Error(msg.includes(layerName) ? msg : `simdnet: loadModel: layer ${describeValue(layerName)} (${cls}): ${msg}`);
    }
  }
  return { name, layers };
}

/**
 * One layer of a functional topology (not an InputLayer): its class and config made into a layer, or an
 * Error naming the layer and its class.
 */
export function layerFromJson(entry: unknown, i: number): Layer {
  if (!entry || typeof entry !== 'object') throw new Error(`simdnet: loadModel: layer ${i} of the topology is ${describeValue(entry)}, not { class_name, config }`);
  const e = entry as { class_name?: unknown; config?: unknown };
  const cls = e.class_name;
  const c = (e.config ?? {}) as Config;
  if (typeof c !== 'object' || Array.isArray(c)) throw new Error(`simdnet: loadModel: layer ${i} has a config that is ${describeValue(c)}, not an object`);
  const layerName = typeof c.name === 'string' && c.name !== '' ? c.name : `layer ${i}`;
  // Own keys only: a class named '__proto__' or 'constructor' must not find Object's members.
  const factory = typeof cls === 'string' && Object.prototype.hasOwnProperty.call(FACTORIES, cls) ? FACTORIES[cls] : undefined;
  if (!factory) {
    throw new Error(`simdnet: loadModel: layer '${layerName}' has class ${describeValue(cls)}, which simdnet does not support (supported: ${SUPPORTED.join(', ')}, InputLayer)`);
  }
  const base: L.LayerArgs = { name: c.name as string | undefined, trainable: c.trainable === undefined ? true : Boolean(c.trainable) };
  try {
    return factory(c, base);
  } catch (err) {
    const msg = (err as Error).message;
    throw new Error(msg.includes(layerName) ? msg : `simdnet: loadModel: layer '${layerName}' (${String(cls)}): ${msg}`);
  }
}
