// The one place the quantized runner calls a float layer (fallback layers, and calibration): inference
// mode, activations from the runner's arena.
import { Node } from '../index.js';
import type { Arena, Layer, Tensor } from '../index.js';

export function floatForward(layer: Layer, xs: Tensor[], arena: Arena): Tensor {
  // A fresh node (training off, no logits): the runner keeps nothing for backward.
  return layer.callForward(xs, new Node(), arena);
}
