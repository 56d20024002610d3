// `_internal`: what simdnet's subpath entries (simdnet/quantize) need from the main bundle besides the
// public API. NOT public API: names and signatures change in any release without notice.
// It exists so that a subpath bundle reaches the one engine through `import 'simdnet'` (rollup.config.mjs)
// instead of bundling a second copy of it: two engines would mean two wasm instances, two heaps and two
// Tensor classes, so tensors of one would not pass `instanceof` in the other.
import { engine } from './backend/engine.js';
import { ParamStamp } from './model/param-stamp.js';
import { Arena } from './backend/arena.js';
import { splitWork } from './backend/split.js';
import { shapeSize } from './tensor.js';
import { checkBatchSize, gatherRows } from './model/batch.js';
import { layersFromTopology, topologyOf } from './model/topology.js';
import { filePathOf, readArtifactsFromDir, saveArtifactsToDir } from './model/io-node.js';
import { fetchArtifacts } from './model/io-browser.js';
import { modelFromTopology } from './model/load.js';
import { GENERATED_BY, concatBuffers } from './model/artifacts.js';
import { describeShape, sameShape } from './layers/layer.js';
import { windowAxis } from './layers/geometry.js';
import { applyActivation } from './layers/activations.js';
import { getLoss } from './losses/index.js';
import { countCorrect } from './ops/loss.js';

/**
 * Not public API: the engine internals simdnet's own subpath entries (simdnet/quantize) use, so they share
 * the main bundle's engine instead of carrying a copy. May change in any release.
 * Left out of the public type declarations (stripInternal in rollup.config.mjs) and the API reference.
 * @internal
 */
export const _internal = Object.freeze({
  engine, Arena, splitWork, shapeSize, checkBatchSize, gatherRows, layersFromTopology, topologyOf,
  filePathOf, readArtifactsFromDir, saveArtifactsToDir, fetchArtifacts, GENERATED_BY, concatBuffers,
  describeShape, sameShape, windowAxis, applyActivation, getLoss, countCorrect, ParamStamp,
  modelFromTopology,
});
