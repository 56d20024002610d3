// GlobalAveragePooling2D: (N,H,W,C) → (N,C), the mean of each channel over all positions.
import { GlobalPoolingBase } from './global-pooling-base.js';
import type { LayerArgs } from './layer.js';

export class GlobalAveragePooling2D extends GlobalPoolingBase {
  readonly className = 'GlobalAveragePooling2D';

  constructor(args: LayerArgs = {}) {
    super(args, 'global_average_pooling2d', 'avg');
  }
}
