// The optimizer base: one update kernel call per trainable parameter per batch, in place over the
// parameter with its gradient. Its state (momentum, Adam's moments) lives in tensors it owns, made on the
// first step and kept, so training memory is flat after the first batch.
import { Tensor } from '../tensor.js';
import type { Param } from '../layers/layer.js';
import { checkHyperParameter } from './check.js';
import { LearningRateSchedule } from './schedules.js';

export { checkHyperParameter };

export abstract class Optimizer {
  /** The TF.js class name of a saved training config (`SGD`, `Adam`, `RMSProp`). */
  abstract readonly className: string;
  /** Number of updates made (Adam's bias correction counts from 1). */
  iterations = 0;
  private readonly state = new Map<Tensor, Tensor[]>();
  private lr: number;
  /** A schedule given as `learningRate` (sn.optimizers.schedules.*): evaluated once per update. */
  readonly schedule: LearningRateSchedule | null;
  /** During applyGradients, the index of the update in progress (the schedule's step). */
  private stepping: number | null = null;

  constructor(learningRate: number | LearningRateSchedule) {
    this.schedule = learningRate instanceof LearningRateSchedule ? learningRate : null;
    this.lr = this.schedule ? this.schedule.at(0) : checkHyperParameter(this.constructor.name, 'learningRate', learningRate, { min: 0 });
  }

  /**
   * Readable and settable between batches (a callback may change it); always a finite number ≥ 0 (0, as Keras
   * allows, freezes the weights: a cosine schedule with alpha 0 ends there).
   * With a schedule it is the schedule's rate for the next update (during an update, that update's).
   */
  get learningRate(): number {
    if (!this.schedule) return this.lr;
    const rate = this.schedule.at(this.stepping ?? this.iterations);
    return checkHyperParameter(`${this.constructor.name} (${this.schedule.className} at step ${this.stepping ?? this.iterations})`, 'learningRate', rate, { min: 0 });
  }

  set learningRate(value: number) {
    if (this.schedule) {
      // As Keras: a rate that follows a schedule is not settable (a callback would fight the schedule).
      throw new Error(`simdnet: ${this.constructor.name}: learningRate follows a ${this.schedule.className} schedule and cannot be set`);
    }
    this.lr = checkHyperParameter(this.constructor.name, 'learningRate', value, { min: 0 });
  }

  /** How many state tensors each parameter needs (0 for plain SGD). */
  protected abstract stateCount(): number;

  /** Updates one parameter in place from its gradient, with its state tensors. */
  protected abstract update(w: Tensor, g: Tensor, state: Tensor[]): void;

  /** One step over every trainable parameter. */
  applyGradients(params: Param[]): void {
    this.stepping = this.iterations;
    this.iterations++;
    try {
      this.updateAll(params);
    } finally {
      this.stepping = null;
    }
  }

  private updateAll(params: Param[]): void {
    for (const p of params) {
      if (!p.trainable || !p.grad) continue;
      let s = this.state.get(p.value);
      if (!s) {
        s = [];
        for (let i = 0; i < this.stateCount(); i++) s.push(Tensor.zeros(p.value.shape));
        this.state.set(p.value, s);
      }
      this.update(p.value, p.grad, s);
      p.value.markWritten();
    }
  }

  abstract getConfig(): Record<string, unknown>;

  /** Frees the state tensors (a later step starts afresh). */
  dispose(): void {
    for (const s of this.state.values()) for (const t of s) t.dispose();
    this.state.clear();
    this.iterations = 0;
  }
}
