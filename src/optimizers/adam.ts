// Adam (TF.js rule, defaults beta1 0.9, beta2 0.999, epsilon 1e-7).
import type { Tensor } from '../tensor.js';
import { adamUpdate } from '../ops/optimizer.js';
import { Optimizer, checkHyperParameter } from './optimizer.js';
import type { LearningRateSchedule } from './schedules.js';

export interface AdamArgs {
  /** A number or a schedule (`sn.optimizers.schedules.*`). */
  learningRate?: number | LearningRateSchedule;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export class Adam extends Optimizer {
  readonly className = 'Adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  constructor(args: AdamArgs = {}) {
    super(args.learningRate ?? 0.001);
    this.beta1 = checkHyperParameter('adam', 'beta1', args.beta1 ?? 0.9, { min: 0, max: 1, maxExclusive: true });
    this.beta2 = checkHyperParameter('adam', 'beta2', args.beta2 ?? 0.999, { min: 0, max: 1, maxExclusive: true });
    this.epsilon = checkHyperParameter('adam', 'epsilon', args.epsilon ?? 1e-7, { min: 0, minExclusive: true });
  }

  protected stateCount(): number {
    return 2;
  }

  protected update(w: Tensor, g: Tensor, state: Tensor[]): void {
    adamUpdate(w, g, state[0], state[1], this.learningRate, this.beta1, this.beta2, this.epsilon, this.iterations);
  }

  getConfig(): Record<string, unknown> {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}
