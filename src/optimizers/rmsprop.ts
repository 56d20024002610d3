// RMSprop (TF.js rule, defaults rho 0.9, momentum 0, epsilon 1e-7).
import type { Tensor } from '../tensor.js';
import { rmspropUpdate } from '../ops/optimizer.js';
import { Optimizer, checkHyperParameter } from './optimizer.js';
import type { LearningRateSchedule } from './schedules.js';

export interface RMSPropArgs {
  /** A number or a schedule (`sn.optimizers.schedules.*`). */
  learningRate?: number | LearningRateSchedule;
  rho?: number;
  momentum?: number;
  epsilon?: number;
}

export class RMSProp extends Optimizer {
  readonly className = 'RMSProp';
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;

  constructor(args: RMSPropArgs = {}) {
    super(args.learningRate ?? 0.001);
    this.rho = checkHyperParameter('rmsprop', 'rho', args.rho ?? 0.9, { min: 0, max: 1, maxExclusive: true });
    this.momentum = checkHyperParameter('rmsprop', 'momentum', args.momentum ?? 0, { min: 0 });
    this.epsilon = checkHyperParameter('rmsprop', 'epsilon', args.epsilon ?? 1e-7, { min: 0, minExclusive: true });
  }

  protected stateCount(): number {
    return this.momentum > 0 ? 2 : 1;
  }

  protected update(w: Tensor, g: Tensor, state: Tensor[]): void {
    rmspropUpdate(w, g, state[0], state[1] ?? null, this.learningRate, this.rho, this.momentum, this.epsilon);
  }

  getConfig(): Record<string, unknown> {
    // TF.js names rho `decay` in its RMSProp config.
    return { learningRate: this.learningRate, decay: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: false };
  }
}
