// One cold start inside a fresh iframe (see browser-env.mjs): import + ready + build + first prediction.
import { BATCH, LEARNING_RATE, MODELS, makeBatch, makeWeights } from './models.mjs';
import { browserEnv } from './browser-env.mjs';
import { makePeer } from './peers/index.mjs';

const q = new URLSearchParams(location.search);
const reply = (msg) => parent.postMessage({ coldStart: true, ...msg }, location.origin);
try {
  const spec = MODELS.find((m) => m.id === q.get('model'));
  const weights = makeWeights(spec);
  const one = makeBatch(spec, 1, 11);
  const peer = makePeer(q.get('lib'));
  const t0 = performance.now();
  await peer.init(browserEnv());
  const inst = await peer.build(spec, weights, { learningRate: LEARNING_RATE, batch: BATCH });
  await inst.predict(one.x, 1);
  reply({ ms: performance.now() - t0 });
} catch (e) {
  reply({ error: String(e?.message ?? e).split('\n')[0] });
}
