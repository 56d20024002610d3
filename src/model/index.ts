// The model API: sequential, loadModel, and the Node file helpers.
export { Sequential, sequential } from './sequential.js';
export type { SequentialArgs, CompileArgs, MetricName, SaveHandler } from './sequential.js';
export type { FitArgs, History, Callbacks, Logs } from './fit.js';
export { loadModel } from './load.js';
export type { LoadHandler } from './load.js';
export type { ModelArtifacts, ModelJson, WeightSpec, WeightsManifestGroup } from './artifacts.js';
export { saveToDir, loadFromDir } from './files.js';
