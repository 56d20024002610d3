// GlobalMaxPooling2D: (N,H,W,C) → (N,C), the maximum of each channel over all positions.
import { GlobalPoolingBase } from './global-pooling-base.js';
import type { LayerArgs } from './layer.js';

export class GlobalMaxPooling2D extends GlobalPoolingBase {
  readonly className = 'GlobalMaxPooling2D';

  constructor(args: LayerArgs = {}) {
    super(args, 'global_max_pooling2d', 'max');
  }
}
