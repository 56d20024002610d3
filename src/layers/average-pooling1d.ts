// AveragePooling1D: the mean (padding cells not counted) of each window, per channel. Strides default to poolSize; 'same' pads as TensorFlow.
import { PoolingBase, type Pooling1DArgs } from './pooling-base.js';

export class AveragePooling1D extends PoolingBase {
  readonly className = 'AveragePooling1D';

  constructor(args: Pooling1DArgs = {}) {
    super(args, 'average_pooling1d', 'avg', 1);
  }
}
