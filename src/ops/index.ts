// Typed wrappers of the kernels, one file per family (docs/ARCHITECTURE.md lists the contract).
export * from './activation.js';
export * from './gemm.js';
export * from './conv.js';
export * from './pool.js';
export * from './batchnorm.js';
export * from './dropout.js';
export * from './maxout.js';
export * from './loss.js';
export * from './optimizer.js';
export * from './peak.js';
export * from './finite.js';
export * from './depthwise.js';
export * from './conv-transpose.js';
export * from './conv3d.js';
export * from './resize.js';
export * from './merge.js';
