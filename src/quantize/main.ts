// The main entry as simdnet/quantize sees it. In the package, rollup.config.mjs turns '../index.js' into
// `import 'simdnet'`, so this entry runs on the main bundle's engine, heap and classes instead of carrying
// copies (a guard there fails the build if a file of src/quantize/ imports engine code any other way).
// Public API is imported from '../index.js' directly; the rest comes from _internal (not public API).
import { _internal } from '../index.js';

export const {
  engine, Arena, splitWork, shapeSize, checkBatchSize, gatherRows, modelFromTopology,
  filePathOf, readArtifactsFromDir, saveArtifactsToDir, fetchArtifacts, GENERATED_BY, concatBuffers,
  describeShape, sameShape, windowAxis, applyActivation, getLoss, countCorrect, ParamStamp,
} = _internal;
/** The arena class's instance type, under the same name as the value. */
export type Arena = InstanceType<typeof Arena>;
