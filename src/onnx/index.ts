// simdnet/onnx: ONNX models in and out. `import { loadOnnx, toOnnx } from 'simdnet/onnx'`.
// A separate entry point so the main bundle does not carry the protobuf reader; it uses the main
// entry's engine and layers (rollup.config.mjs makes '../index.js' an import of 'simdnet').
export { loadOnnx, onnxToModel } from './import.js';
export type { LoadOnnxOptions } from './import.js';
export { toOnnx, EXPORT_OPSET } from './export.js';
