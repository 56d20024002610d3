// The one place the quantized runner calls a float layer (fallback layers, and calibration): inference
// mode, activations from the runner's arena.
import type { Arena } from '../backend/arena.js';
import type { Layer } from '../layers/layer.js';
import type { Tensor } from '../tensor.js';

export function floatForward(layer: Layer, x: Tensor, arena: Arena): Tensor {
  return layer.forward(x, false, arena);
}
