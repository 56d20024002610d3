// BatchNormalization over the last axis (channels). Training: y = gamma * (x - mean_batch) / sqrt(var_batch
// + eps) + beta, and moving = momentum * moving + (1 - momentum) * batch; inference uses the moving stats.
// Weights in Keras order: gamma (when scale), beta (when center), moving_mean, moving_variance (not trainable).
// With scale or center off the layer has no such weight, as in Keras: the kernels read constant ones/zeros.
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { batchNormTrainForward, batchNormInferForward, batchNormBackward } from '../ops/batchnorm.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Node } from './node.js';
import { describeValue } from '../describe.js';

export interface BatchNormalizationArgs extends LayerArgs {
  momentum?: number;
  epsilon?: number;
  /** Only the last axis is supported (-1, or its index counting the batch axis), as for NHWC data. */
  axis?: number;
  /** Learn an offset beta (default true). */
  center?: boolean;
  /** Learn a scale gamma (default true). */
  scale?: boolean;
}

export class BatchNormalization extends Layer {
  readonly className = 'BatchNormalization';
  readonly momentum: number;
  readonly epsilon: number;
  readonly axis: number;
  readonly center: boolean;
  readonly scale: boolean;
  /** Constant gamma (ones) or beta (zeros) for the kernels when scale or center is off. */
  private constants: Tensor[] = [];

  constructor(args: BatchNormalizationArgs = {}) {
    super(args, 'batch_normalization');
    this.momentum = args.momentum ?? 0.99;
    this.epsilon = args.epsilon ?? 1e-3;
    this.axis = args.axis ?? -1;
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    for (const option of ['center', 'scale'] as const) {
      if (typeof this[option] !== 'boolean') {
        throw new Error(`simdnet: ${this.name} (BatchNormalization): ${option} must be true or false, got ${describeValue(args[option])}`);
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
    if (this.scale) this.addParam('gamma', [c], 'ones');
    if (this.center) this.addParam('beta', [c], 'zeros');
    this.addParam('moving_mean', [c], 'zeros', false);
    this.addParam('moving_variance', [c], 'ones', false);
  }

  /** gamma and beta as the kernels read them: the weights, or constants where scale/center is off. */
  private affineTensors(): { gamma: Tensor; beta: Tensor } {
    const c = this.param('moving_mean').value.size;
    if (this.constants.length === 0 || this.constants[0].isDisposed || this.constants[0].size !== c) {
      this.disposeConstants();
      this.constants = [Tensor.empty([c]), Tensor.zeros([c])];
      this.constants[0].view().fill(1);
    }
    return {
      gamma: this.scale ? this.param('gamma').value : this.constants[0],
      beta: this.center ? this.param('beta').value : this.constants[1],
    };
  }

  private disposeConstants(): void {
    for (const t of this.constants) if (!t.isDisposed) t.dispose();
    this.constants = [];
  }

  /**
   * Inference as a per-channel affine map y = a·x + b (float64), for folding into a neighbouring layer:
   * a = gamma / sqrt(moving_variance + epsilon), b = beta − moving_mean·a.
   */
  inferenceAffine(): { a: Float64Array; b: Float64Array } {
    const { gamma, beta } = this.affineTensors();
    const g = gamma.dataSync();
    const bt = beta.dataSync();
    const mean = this.param('moving_mean').value.dataSync();
    const variance = this.param('moving_variance').value.dataSync();
    const a = Float64Array.from(g, (v, i) => v / Math.sqrt(variance[i] + this.epsilon));
    const b = Float64Array.from(bt, (v, i) => v - mean[i] * a[i]);
    return { a, b };
  }

  /** The tensors that inferenceAffine reads (their versions say when a fold is stale). */
  affineSources(): Tensor[] {
    const { gamma, beta } = this.affineTensors();
    return [gamma, beta, this.param('moving_mean').value, this.param('moving_variance').value];
  }

  override dispose(): void {
    this.disposeConstants();
    super.dispose();
  }

  forward(x: Tensor, node: Node, arena: Arena): Tensor {
    const y = Tensor.empty(x.shape, arena);
    const { gamma, beta } = this.affineTensors();
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
    const dgamma = this.scale ? this.gradOf(this.param('gamma')) : null;
    const dbeta = this.center ? this.gradOf(this.param('beta')) : null;
    if (!dx && !dgamma && !dbeta) return null;
    batchNormBackward(node.input, dy, this.affineTensors().gamma, node.get('mean'), node.get('invStd'), dx, dgamma, dbeta, true);
    return dx;
  }

  protected layerConfig(): Record<string, unknown> {
    return {
      axis: -1,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
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
