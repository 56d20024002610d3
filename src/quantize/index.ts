// simdnet/quantize: post-training int8 quantization. `import { quantize, loadQuantizedModel } from 'simdnet/quantize'`.
// A separate entry point so the main bundle carries neither the int8 runner nor the int8 kernels (a wasm
// module of their own, embedded here: src/quantize/int8-module.ts); it uses the main entry's engine and
// layers (src/quantize/main.ts).
export { quantize, loadQuantizedModel } from './quantize.js';
export type { QuantizeArgs } from './quantize.js';
export { QuantizedModel } from './quantized-model.js';
export type { QuantizationSpec } from './plan.js';
export type { QuantParams } from './int8-tensor.js';
export { int8Kernel, setInt8Kernel } from './int8-gemm.js';
export type { Int8Kernel } from './int8-gemm.js';
