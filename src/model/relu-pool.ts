// A relu conv read only by a max pool with disjoint windows (the Keras convnet's conv → maxPooling2d): in
// training the pool's backward applies the relu's mask (dy at a winner only when the pooled value is > 0:
// a zero winner means relu's input was ≤ 0) while it writes dx, and the conv's backward skips its relu
// pass — one pass over the conv's output fewer per step. The pair is found once per graph; the model marks
// the two nodes before each training forward (Node.gradMaskedByReader, Node.masksReluBefore). Either half
// alone would still be right: a relu backward on an already masked gradient changes nothing.
import { ConvBase } from '../layers/conv-base.js';
import { PoolingBase } from '../layers/pooling-base.js';
import type { Graph, Step } from './graph.js';

let enabled = true;

/** For tests and benchmarks: fuse the relu backward into the max pool's (default) or run it on its own. */
export function setReluPoolFusion(on: boolean): void {
  enabled = on;
}

const pairsOf = new WeakMap<Graph, Set<Step>>();

/** The steps of `graph` that take part in a fused pair: the relu convs and the max pools after them. */
export function reluPoolSteps(graph: Graph): Set<Step> {
  let steps = pairsOf.get(graph);
  if (steps) return steps;
  steps = new Set();
  const producerOf = new Map(graph.steps.map((s) => [s.outSlot, s]));
  for (const pool of graph.steps) {
    if (!(pool.layer instanceof PoolingBase) || !pool.layer.disjointMax || pool.inSlots.length !== 1) continue;
    const conv = producerOf.get(pool.inSlots[0]);
    if (!conv || !(conv.layer instanceof ConvBase) || conv.layer.activation !== 'relu' || graph.readers[conv.outSlot] !== 1) continue;
    steps.add(conv).add(pool);
  }
  pairsOf.set(graph, steps);
  return steps;
}

/** Marks the nodes of the fused pairs for a training forward, and clears them otherwise. */
export function markReluPoolPairs(graph: Graph, training: boolean): void {
  const steps = training && enabled ? reluPoolSteps(graph) : null;
  for (const step of graph.steps) {
    const fused = steps?.has(step) ?? false;
    const isPool = step.layer instanceof PoolingBase;
    step.node.gradMaskedByReader = fused && !isPool;
    step.node.masksReluBefore = fused && isPool;
  }
}
