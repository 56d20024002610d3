// Data sets and file formats: `sn.data.parseIdx(bytes)` anywhere, `sn.data.loadMnist()` in Node.
export { parseIdx } from './idx.js';
export type { IdxFile, IdxType, IdxData } from './idx.js';
export { loadMnist } from './mnist.js';
export type { MnistOptions, MnistData } from './mnist.js';
