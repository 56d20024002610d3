// The optimizer base: one update kernel call per trainable parameter per batch, in place over the
// parameter with its gradient. Its state (momentum, Adam's moments) lives in tensors it owns, made on the
// first step and kept, so training memory is flat after the first batch.
import { Tensor } from '../tensor.js';
import type { Param } from '../layers/layer.js';
import { describeValue } from '../describe.js';

export abstract class Optimizer {
  /** The TF.js class name of a saved training config (`SGD`, `Adam`, `RMSProp`). */
  abstract readonly className: string;
  /** Number of updates made (Adam's bias correction counts from 1). */
  iterations = 0;
  private readonly state = new Map<Tensor, Tensor[]>();
  private lr: number;

  constructor(learningRate: number) {
    this.lr = checkHyperParameter(this.constructor.name, 'learningRate', learningRate, { min: 0, minExclusive: true });
  }

  /** Readable and settable between batches (a schedule may change it); always a finite positive number. */
  get learningRate(): number {
    return this.lr;
  }

  set learningRate(value: number) {
    this.lr = checkHyperParameter(this.constructor.name, 'learningRate', value, { min: 0, minExclusive: true });
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

/**
 * Checks a hyper-parameter when it is set, so a NaN or out-of-range value fails here, by name, instead of
 * turning every weight into NaN at the first step.
 */
export function checkHyperParameter(
  who: string,
  name: string,
  value: unknown,
  range: { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean },
): number {
  const { min = -Infinity, max = Infinity, minExclusive = false, maxExclusive = false } = range;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (minExclusive ? value > min : value >= min) &&
    (maxExclusive ? value < max : value <= max);
  if (!ok) {
    const lo = Number.isFinite(min) ? `${minExclusive ? '>' : '≥'} ${min}` : '';
    const hi = Number.isFinite(max) ? `${maxExclusive ? '<' : '≤'} ${max}` : '';
    const want = [lo, hi].filter(Boolean).join(' and ');
    throw new Error(`simdnet: ${who}: ${name} must be a finite number${want ? ' ' + want : ''}, got ${describeValue(value)}`);
  }
  return value as number;
}
