// predict's conv → 2x2 max pool in one kernel: a Conv2D read only by a MaxPooling2D with a 2x2 window, stride
// 2 and no padding (the Keras convnet's first block) runs as conv2dForwardMaxPool2 where the conv takes the
// direct few-channel loop — its full-size output (the largest tensor of such a model) is never written —
// and the pool step passes its input on. Where the kernel does not fuse the shapes of a call (a wider conv,
// 1 < images < threads) the conv step runs both layers itself. The same values bit for bit either way.
// Training fuses a first conv with its pool too, and a conv on Winograd F(4x4,3x3) (trainingConvPoolPairs).
import type { Arena } from '../backend/arena.js';
import { bumpKernelChoices } from '../backend/engine.js';
import { Conv2D } from '../layers/conv2d.js';
import { MaxPooling2D } from '../layers/max-pooling2d.js';
import type { Node } from '../layers/node.js';
import type { Tensor } from '../tensor.js';
import type { Graph, Step } from './graph.js';

/** The conv step's action: run the conv and `pool` (whose own step then passes its input on). */
export interface ConvPoolAction {
  kind: 'maxpool2';
  pool: Step;
}

let enabled = true;

/** For tests and benchmarks: fuse (default) or run the conv and the pool as two steps. Recorded plans follow. */
export function setConvPoolFusion(on: boolean): void {
  if (on === enabled) return;
  enabled = on;
  bumpKernelChoices();
}

export function convPoolFusion(): boolean {
  return enabled;
}

const pairsOf = new WeakMap<Graph, Map<Step, Step>>();

/** Conv step → pool step, for the pairs of `graph` that may fuse. */
export function convPoolPairs(graph: Graph): Map<Step, Step> {
  let pairs = pairsOf.get(graph);
  if (pairs) return pairs;
  pairs = new Map();
  const producerOf = new Map(graph.steps.map((s) => [s.outSlot, s]));
  for (const pool of graph.steps) {
    const p = pool.layer;
    if (!(p instanceof MaxPooling2D) || pool.inSlots.length !== 1 || p.padding !== 'valid') continue;
    if (![...p.poolSize, ...p.strides].every((v) => v === 2)) continue;
    const conv = producerOf.get(pool.inSlots[0]);
    if (!conv || !(conv.layer instanceof Conv2D) || graph.readers[conv.outSlot] !== 1) continue;
    if (conv.layer.groups !== 1 || conv.layer.activation === 'softmax' || conv.layer.activation === 'hardSwish') continue;
    pairs.set(conv, pool);
  }
  pairsOf.set(graph, pairs);
  return pairs;
}

/**
 * Training's pairs: those of convPoolPairs whose conv is relu or linear: the fused forward keeps the pool's
 * winners, the pool's backward passes its gradient on, and the conv's backward takes it: weight gradients
 * (and on Winograd dx) from the pooled gradient (Conv2D.trainForwardMaxPool2), the conv's full-size output
 * and gradient never written. Whether a call fuses depends on its shapes and on whether the conv's input
 * needs a gradient (the direct loop makes none).
 */
export function trainingConvPoolPairs(graph: Graph): [Step, Step][] {
  // A filter of convPoolPairs' cached pairs (a few per model): no cache of its own.
  return [...convPoolPairs(graph)].filter(([conv]) => {
    const act = (conv.layer as Conv2D).activation;
    return act === 'relu' || act === 'linear';
  });
}

/** Training's pooled output of a fused pair: one kernel (winners kept) where the shapes allow, else the two layers. */
export function convThenPoolTraining(conv: Step, pool: Step, x: Tensor, arena: Arena): Tensor {
  const fused = (conv.layer as Conv2D).trainForwardMaxPool2(x, conv.node, pool.node, arena, conv.needDx[0]);
  if (fused) return fused;
  const z = conv.layer.callForward([x], conv.node, arena);
  pool.node.training = true; // the model marks the pool's node when its own step comes: after this call
  return pool.layer.callForward([z], pool.node, arena);
}

/** The pooled output of a fused pair: one kernel where the shapes allow, else the conv then the pool. */
export function convThenPool(conv: Step, pool: Step, x: Tensor, node: Node, arena: Arena): Tensor {
  const fused = (conv.layer as Conv2D).forwardMaxPool2(x, arena);
  if (fused) return fused;
  const z = conv.layer.callForward([x], node, arena);
  return pool.layer.callForward([z], pool.node, arena);
}
