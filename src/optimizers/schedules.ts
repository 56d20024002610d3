// Learning-rate schedules (Keras's `keras.optimizers.schedules`): a function of the optimizer's step,
// usable as `learningRate` of any optimizer. The optimizer evaluates it once per update with the number
// of updates made before that one (0 for the first), as Keras does, so the rate changes per step, not per
// epoch. TF.js has no schedules: a saved model records the rate of the next step as a plain number.
import { checkHyperParameter } from './check.js';
import { describeValue } from '../describe.js';

export abstract class LearningRateSchedule {
  /** Keras's class name (`CosineDecay`, `ExponentialDecay`). */
  abstract readonly className: string;
  /** The learning rate of the update made after `step` earlier updates. */
  abstract at(step: number): number;
  abstract getConfig(): Record<string, unknown>;
}

export interface CosineDecayArgs {
  initialLearningRate: number;
  /** Steps over which the rate falls from initialLearningRate to alpha·initialLearningRate. */
  decaySteps: number;
  /** The final rate as a fraction of the initial one (default 0). */
  alpha?: number;
}

/** Keras CosineDecay: lr(step) = lr0 · ((1 − alpha) · ½(1 + cos(π · min(step, decaySteps) / decaySteps)) + alpha). */
export class CosineDecay extends LearningRateSchedule {
  readonly className = 'CosineDecay';
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly alpha: number;

  constructor(args: CosineDecayArgs) {
    super();
    const a = scheduleArgs(args, 'cosineDecay');
    this.initialLearningRate = checkHyperParameter('cosineDecay', 'initialLearningRate', a.initialLearningRate, { min: 0, minExclusive: true });
    this.decaySteps = checkSteps('cosineDecay', a.decaySteps);
    this.alpha = checkHyperParameter('cosineDecay', 'alpha', a.alpha ?? 0, { min: 0, max: 1 });
  }

  at(step: number): number {
    const t = Math.min(step, this.decaySteps) / this.decaySteps;
    return this.initialLearningRate * ((1 - this.alpha) * 0.5 * (1 + Math.cos(Math.PI * t)) + this.alpha);
  }

  getConfig(): Record<string, unknown> {
    return { initial_learning_rate: this.initialLearningRate, decay_steps: this.decaySteps, alpha: this.alpha };
  }
}

export interface ExponentialDecayArgs {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  /** Decay in whole steps of decaySteps (default false: continuously). */
  staircase?: boolean;
}

/** Keras ExponentialDecay: lr(step) = lr0 · decayRate^(step / decaySteps), the exponent floored when staircase. */
export class ExponentialDecay extends LearningRateSchedule {
  readonly className = 'ExponentialDecay';
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;

  constructor(args: ExponentialDecayArgs) {
    super();
    const a = scheduleArgs(args, 'exponentialDecay');
    this.initialLearningRate = checkHyperParameter('exponentialDecay', 'initialLearningRate', a.initialLearningRate, { min: 0, minExclusive: true });
    this.decaySteps = checkSteps('exponentialDecay', a.decaySteps);
    // A rate of 0 would make every later step's learning rate 0: a schedule that only stops training.
    this.decayRate = checkHyperParameter('exponentialDecay', 'decayRate', a.decayRate, { min: 0, minExclusive: true });
    this.staircase = a.staircase ?? false;
    if (typeof this.staircase !== 'boolean') throw new Error(`simdnet: exponentialDecay: staircase must be true or false, got ${describeValue(a.staircase)}`);
  }

  at(step: number): number {
    const p = step / this.decaySteps;
    return this.initialLearningRate * Math.pow(this.decayRate, this.staircase ? Math.floor(p) : p);
  }

  getConfig(): Record<string, unknown> {
    return { initial_learning_rate: this.initialLearningRate, decay_steps: this.decaySteps, decay_rate: this.decayRate, staircase: this.staircase };
  }
}

export const cosineDecay = (args: CosineDecayArgs): CosineDecay => new CosineDecay(args);
export const exponentialDecay = (args: ExponentialDecayArgs): ExponentialDecay => new ExponentialDecay(args);

function scheduleArgs<T>(args: T, who: string): T {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    throw new Error(`simdnet: ${who}: expects an options object such as { initialLearningRate: 0.01, decaySteps: 1000 }, got ${describeValue(args)}`);
  }
  return args;
}

function checkSteps(who: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 1) throw new Error(`simdnet: ${who}: decaySteps must be a positive integer, got ${describeValue(v)}`);
  return v as number;
}
