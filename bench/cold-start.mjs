// One cold start, in a fresh process: `node cold-start.mjs <library> <model>` prints {"ms": ...}.
// Timed from just before the library is imported to the first prediction's result (import + ready + build
// with the benchmark's weights + first batch-1 prediction). Weights are generated before the clock starts.
import { MODELS, BATCH, LEARNING_RATE, makeBatch, makeWeights } from './models.mjs';
import { nodeEnv } from './node-env.mjs';
import { makePeer } from './peers/index.mjs';

const [peerId, modelId] = process.argv.slice(2);
try {
  const spec = MODELS.find((m) => m.id === modelId);
  if (!spec) throw new Error(`unknown model ${modelId}`);
  const weights = makeWeights(spec);
  const one = makeBatch(spec, 1, 11);
  const env = nodeEnv();
  const peer = makePeer(peerId);
  const t0 = performance.now();
  await peer.init(env);
  const inst = await peer.build(spec, weights, { learningRate: LEARNING_RATE, batch: BATCH });
  await inst.predict(one.x, 1);
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ ms }));
} catch (e) {
  console.log(JSON.stringify({ error: String(e?.message ?? e).split('\n')[0] }));
}
process.exit(0);
