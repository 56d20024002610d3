// simdnet's public API. `import * as sn from 'simdnet'`.
import { engine } from './backend/engine.js';
import { liveTensorCount } from './tensor.js';

export { ready, isReady, dispose } from './backend/engine.js';
export type { EngineInfo, ReadyOptions } from './backend/engine.js';
export { Tensor, tensor } from './tensor.js';
export type { Shape, TensorLike } from './tensor.js';

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
/** Loss objects (names work too: `loss: 'sparseCategoricalCrossentropy'`). */
export * as losses from './losses/index.js';
export { sequential, Sequential, loadModel, saveToDir, loadFromDir } from './model/index.js';
export type {
  SequentialArgs,
  CompileArgs,
  FitArgs,
  History,
  Callbacks,
  Logs,
  ModelArtifacts,
  ModelJson,
  WeightSpec,
  SaveHandler,
  LoadHandler,
} from './model/index.js';
export { Layer } from './layers/layer.js';
export { Node } from './layers/node.js';
export { setSeed } from './random.js';
