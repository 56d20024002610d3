// SGD with optional (Nesterov) momentum, as Keras: v = momentum * v - lr * g; w += v.
import type { Tensor } from '../tensor.js';
import { sgdUpdate } from '../ops/optimizer.js';
import { Optimizer, checkHyperParameter } from './optimizer.js';
import type { LearningRateSchedule } from './schedules.js';
import { describeValue } from '../describe.js';

export interface SGDArgs {
  /** A number or a schedule (`sn.optimizers.schedules.*`). */
  learningRate?: number | LearningRateSchedule;
  momentum?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  /** TF.js serialises SGD with momentum as its separate `Momentum` optimizer. */
  get className(): string {
    return this.momentum > 0 ? 'Momentum' : 'SGD';
  }
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(args: SGDArgs = {}) {
    super(args.learningRate ?? 0.01);
    this.momentum = checkHyperParameter('sgd', 'momentum', args.momentum ?? 0, { min: 0 });
    this.nesterov = args.nesterov ?? false;
    if (typeof this.nesterov !== 'boolean') throw new Error(`simdnet: sgd: nesterov must be true or false, got ${describeValue(args.nesterov)}`);
  }

  protected stateCount(): number {
    return this.momentum > 0 ? 1 : 0;
  }

  protected update(w: Tensor, g: Tensor, state: Tensor[]): void {
    sgdUpdate(w, g, state[0] ?? null, this.learningRate, this.momentum, this.nesterov);
  }

  getConfig(): Record<string, unknown> {
    if (this.momentum > 0) return { learningRate: this.learningRate, momentum: this.momentum, useNesterov: this.nesterov };
    return { learningRate: this.learningRate };
  }
}
