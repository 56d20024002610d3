// The one place the quantized runner calls a float layer (fallback layers, and calibration): inference
// mode, activations from the runner's arena.
import type { Arena } from '../backend/arena.js';
import type { Layer } from '../layers/layer.js';
import { Node } from '../layers/node.js';
import type { Tensor } from '../tensor.js';

export function floatForward(layer: Layer, x: Tensor, arena: Arena): Tensor {
  // A fresh node (training off, no logits): the runner keeps nothing for backward.
  return layer.callForward([x], new Node(), arena);
}
