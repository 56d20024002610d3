// MaxPooling1D: the maximum of each window, per channel. Strides default to poolSize; 'same' pads as TensorFlow.
import { PoolingBase, type Pooling1DArgs } from './pooling-base.js';

export class MaxPooling1D extends PoolingBase {
  readonly className = 'MaxPooling1D';

  constructor(args: Pooling1DArgs = {}) {
    super(args, 'max_pooling1d', 'max', 1);
  }
}
