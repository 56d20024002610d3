// BatchNormalization over the last axis (channels). Training: y = gamma * (x - mean_batch) / sqrt(var_batch
// + eps) + beta, and moving = momentum * moving + (1 - momentum) * batch; inference uses the moving stats.
// Weights in Keras order: gamma, beta (trainable), moving_mean, moving_variance (not trainable).
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { batchNormTrainForward, batchNormInferForward, batchNormBackward } from '../ops/batchnorm.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Node } from './node.js';

export interface BatchNormalizationArgs extends LayerArgs {
  momentum?: number;
  epsilon?: number;
  /** Only the last axis is supported (-1, or its index counting the batch axis), as for NHWC data. */
  axis?: number;
}

export class BatchNormalization extends Layer {
  readonly className = 'BatchNormalization';
  readonly momentum: number;
  readonly epsilon: number;
  readonly axis: number;

  constructor(args: BatchNormalizationArgs = {}) {
    super(args, 'batch_normalization');
    this.momentum = args.momentum ?? 0.99;
    this.epsilon = args.epsilon ?? 1e-3;
    this.axis = args.axis ?? -1;
    // Keras's center/scale switches: gamma and beta are always learned here, so turning either off is
    // refused (as loadModel refuses such a file) rather than silently ignored.
    for (const option of ['center', 'scale'] as const) {
      if ((args as Record<string, unknown>)[option] === false) {
        throw new Error(`simdnet: ${this.name} (BatchNormalization): ${option}: false is not supported (beta and gamma are always learned)`);
      }
    }
  }

  protected computeOutputShape(s: number[]): number[] {
    if (s.length === 0) throw new Error(`simdnet: ${this.name} (BatchNormalization) needs an input with channels, got [null]`);
    if (this.axis !== -1 && this.axis !== s.length) {
      throw new Error(
        `simdnet: ${this.name} (BatchNormalization): only the last axis (channels) is supported, got axis ${this.axis} for input shape [null,${s}]`,
      );
    }
    return [...s];
  }

  protected createParams(s: number[]): void {
    const c = s[s.length - 1];
    this.addParam('gamma', [c], 'ones');
    this.addParam('beta', [c], 'zeros');
    this.addParam('moving_mean', [c], 'zeros', false);
    this.addParam('moving_variance', [c], 'ones', false);
  }

  forward(x: Tensor, node: Node, arena: Arena): Tensor {
    const y = Tensor.empty(x.shape, arena);
    const gamma = this.param('gamma').value;
    const beta = this.param('beta').value;
    const movingMean = this.param('moving_mean').value;
    const movingVariance = this.param('moving_variance').value;
    if (node.training) {
      const c = gamma.size;
      const mean = node.keep('mean', Tensor.empty([c], arena));
      const invStd = node.keep('invStd', Tensor.empty([c], arena));
      batchNormTrainForward(x, gamma, beta, y, mean, invStd, movingMean, movingVariance, this.momentum, this.epsilon);
    } else batchNormInferForward(x, gamma, beta, movingMean, movingVariance, y, this.epsilon);
    return y;
  }

  backward(dy: Tensor, node: Node, _arena: Arena, needDx: boolean): Tensor | null {
    const dx = needDx ? dy : null; // in place: dy is ours to overwrite
    const gamma = this.param('gamma');
    const dgamma = this.gradOf(gamma);
    const dbeta = this.gradOf(this.param('beta'));
    if (!dx && !dgamma && !dbeta) return null;
    batchNormBackward(node.input, dy, gamma.value, node.get('mean'), node.get('invStd'), dx, dgamma, dbeta, true);
    return dx;
  }

  protected layerConfig(): Record<string, unknown> {
    return {
      axis: -1,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: true,
      scale: true,
      beta_initializer: { class_name: 'Zeros', config: {} },
      gamma_initializer: { class_name: 'Ones', config: {} },
      moving_mean_initializer: { class_name: 'Zeros', config: {} },
      moving_variance_initializer: { class_name: 'Ones', config: {} },
      beta_regularizer: null,
      gamma_regularizer: null,
      beta_constraint: null,
      gamma_constraint: null,
    };
  }
}
