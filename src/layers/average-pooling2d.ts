// AveragePooling2D: the mean (padding cells not counted) of each window, per channel. Strides default to poolSize; 'same' pads as TensorFlow.
import { PoolingBase, type Pooling2DArgs } from './pooling-base.js';

export class AveragePooling2D extends PoolingBase {
  readonly className = 'AveragePooling2D';

  constructor(args: Pooling2DArgs = {}) {
    super(args, 'average_pooling2d', 'avg', 2);
  }
}
