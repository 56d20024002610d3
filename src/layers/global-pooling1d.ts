// GlobalAveragePooling1D and GlobalMaxPooling1D: (N,L,C) → (N,C), the mean or maximum over the steps.
import { GlobalPoolingBase } from './global-pooling-base.js';
import type { LayerArgs } from './layer.js';

export class GlobalAveragePooling1D extends GlobalPoolingBase {
  readonly className = 'GlobalAveragePooling1D';
  constructor(args: LayerArgs = {}) {
    super(args, 'global_average_pooling1d', 'avg', 1);
  }
}

export class GlobalMaxPooling1D extends GlobalPoolingBase {
  readonly className = 'GlobalMaxPooling1D';
  constructor(args: LayerArgs = {}) {
    super(args, 'global_max_pooling1d', 'max', 1);
  }
}
