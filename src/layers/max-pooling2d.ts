// MaxPooling2D: the maximum of each window, per channel. Strides default to poolSize; 'same' pads as TensorFlow.
import { PoolingBase, type Pooling2DArgs } from './pooling-base.js';

export class MaxPooling2D extends PoolingBase {
  readonly className = 'MaxPooling2D';

  constructor(args: Pooling2DArgs = {}) {
    super(args, 'max_pooling2d', 'max', 2);
  }
}
