// The model API: sequential, loadModel, and the Node file helpers.
export { Sequential, sequential } from './sequential.js';
export type { SequentialArgs } from './sequential.js';
export { Model } from './model.js';
export type { CompileArgs, MetricName, SaveHandler, SaveOptions, TensorOrList, LossSpec } from './model.js';
export { LayersModel, model } from './layers-model.js';
export type { LayersModelArgs } from './layers-model.js';
export { SymbolicTensor } from './symbolic.js';
export { input } from '../layers/input-layer.js';
export type { FitArgs, History, Callbacks, Logs } from './fit.js';
export type { FitDatasetArgs, DatasetLike, DatasetBatch, BatchSource } from './fit-dataset.js';
export { loadModel } from './load.js';
export type { LoadHandler } from './load.js';
export type { ModelArtifacts, ModelJson, WeightSpec, WeightsManifestGroup } from './artifacts.js';
export { saveToDir, loadFromDir } from './files.js';
