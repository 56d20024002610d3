// Data sets and file formats: `sn.data.parseIdx(bytes)` anywhere, `sn.data.loadMnist()` in Node.
export { parseIdx } from './idx.js';
export type { IdxFile, IdxType, IdxData } from './idx.js';
export { loadMnist } from './mnist.js';
export type { MnistOptions, MnistData } from './mnist.js';
export { loadFashionMnist } from './fashion-mnist.js';
export type { FashionMnistOptions } from './fashion-mnist.js';
export { loadCifar10 } from './cifar10.js';
export type { Cifar10Options } from './cifar10.js';
export type { ImageData, SplitOptions } from './node-files.js';
