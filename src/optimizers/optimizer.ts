// The optimizer base: one update kernel call per trainable parameter per batch, in place over the
// parameter with its gradient. Its state (momentum, Adam's moments) lives in tensors it owns, made on the
// first step and kept, so training memory is flat after the first batch.
import { Tensor } from '../tensor.js';
import type { Param } from '../layers/layer.js';

export abstract class Optimizer {
  /** The TF.js class name of a saved training config (`SGD`, `Adam`, `RMSProp`). */
  abstract readonly className: string;
  learningRate: number;
  /** Number of updates made (Adam's bias correction counts from 1). */
  iterations = 0;
  private readonly state = new Map<Tensor, Tensor[]>();

  constructor(learningRate: number) {
    if (!(learningRate > 0) || !Number.isFinite(learningRate)) {
      throw new Error(`simdnet: ${this.constructor.name}: learningRate must be a positive number, got ${learningRate}`);
    }
    this.learningRate = learningRate;
  }

  /** How many state tensors each parameter needs (0 for plain SGD). */
  protected abstract stateCount(): number;

  /** Updates one parameter in place from its gradient, with its state tensors. */
  protected abstract update(w: Tensor, g: Tensor, state: Tensor[]): void;

  /** One step over every trainable parameter. */
  applyGradients(params: Param[]): void {
    this.iterations++;
    for (const p of params) {
      if (!p.trainable || !p.grad) continue;
      let s = this.state.get(p.value);
      if (!s) {
        s = [];
        for (let i = 0; i < this.stateCount(); i++) s.push(Tensor.zeros(p.value.shape));
        this.state.set(p.value, s);
      }
      this.update(p.value, p.grad, s);
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
