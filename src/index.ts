// simdnet's public API. `import * as sn from 'simdnet'`.
import { engine } from './backend/engine.js';
import { liveTensorCount } from './tensor.js';

export { ready, isReady, dispose } from './backend/engine.js';
export type { EngineInfo, ReadyOptions, BuildName } from './backend/engine.js';
export type { Arena } from './backend/arena.js';
/** What the model engine's batch loops return (for subclasses and callbacks that read them). */
export type { BatchResult } from './model/model.js';
export { Tensor, tensor } from './tensor.js';
export type { Shape, TensorLike, NestedArray, ArrayOfRank } from './tensor.js';

/** How much linear memory the engine holds, and how many owned tensors are alive (not yet disposed). */
export function memoryInfo(): { wasmBytes: number; liveTensors: number } {
  return { wasmBytes: engine().heap.bytes, liveTensors: liveTensorCount() };
}

/** Low-level kernels over tensors (the contract in docs/ARCHITECTURE.md); layers are built on these. */
export * as ops from './ops/index.js';

/** Data sets and file formats: `parseIdx` anywhere, `loadMnist` in Node. */
export * as data from './data/index.js';

/** Layers named as in TensorFlow.js: `sn.layers.conv2d({...})`, `sn.layers.dense({...})`, ... */
export * as layers from './layers/index.js';
/** Optimizers: `sn.optimizers.sgd/adam/rmsprop({ learningRate, ... })`. */
export * as optimizers from './optimizers/index.js';
/** Weight penalties for `kernelRegularizer`/`biasRegularizer`: `l1`, `l2`, `l1l2` (TF.js names and defaults). */
export * as regularizers from './regularizers/index.js';
/** Training callbacks (Keras/TF.js): `earlyStopping`, `learningRateScheduler`, `reduceLROnPlateau`, `terminateOnNaN`. */
export * as callbacks from './callbacks/index.js';
/** Loss objects (names work too: `loss: 'sparseCategoricalCrossentropy'`). */
export * as losses from './losses/index.js';
export { sequential, Sequential, loadModel, saveToDir, loadFromDir, model, LayersModel, Model, SymbolicTensor, input } from './model/index.js';
export type {
  SequentialArgs,
  LayersModelArgs,
  TensorOrList,
  LossSpec,
  CompileArgs,
  FitArgs,
  FitDatasetArgs,
  DatasetLike,
  DatasetBatch,
  BatchSource,
  History,
  Callbacks,
  Logs,
  ModelArtifacts,
  ModelJson,
  WeightSpec,
  WeightsManifestGroup,
  SaveHandler,
  SaveOptions,
  LoadHandler,
  MetricName,
} from './model/index.js';
/** The names the API accepts, as literal types, so a typo is a compile error. */
export type { ActivationName } from './layers/activations.js';
export type { Padding } from './layers/geometry.js';
export type { LossIdentifier } from './losses/index.js';
export type { OptimizerName } from './optimizers/index.js';
export { Layer } from './layers/layer.js';
export { Node } from './layers/node.js';
// int8 quantization is the subpath entry simdnet/quantize (src/quantize/index.ts); it reaches the engine
// through _internal, which is not public API.
/** @internal */
export { _internal } from './internal.js';
export { setSeed } from './random.js';
