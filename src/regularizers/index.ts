// `sn.regularizers`: weight penalties added to the training loss and its gradient, as TF.js's
// `tf.regularizers.l1/l2/l1l2` (defaults 0.01). Every one is an L1L2 (TF.js has only that class; Keras
// reads it too), so saved configs load in both. Keras's own 'L1' and 'L2' configs are read as well.
import { describeValue } from '../describe.js';
import { regularize } from '../ops/regularizer.js';
import type { Tensor } from '../tensor.js';

export class L1L2 {
  readonly className = 'L1L2';
  readonly l1: number;
  readonly l2: number;

  constructor(l1: number, l2: number, who = 'l1l2') {
    this.l1 = checkFactor(l1, 'l1', who);
    this.l2 = checkFactor(l2, 'l2', who);
  }

  /** Adds this penalty's gradient into g; returns the penalty (one wasm pass). */
  apply(w: Tensor, g: Tensor): number {
    return regularize(w, g, this.l1, this.l2);
  }

  getConfig(): { l1: number; l2: number } {
    return { l1: this.l1, l2: this.l2 };
  }
}

/** What `kernelRegularizer`/`biasRegularizer` accept: a regularizer or TF.js's identifiers. */
export type RegularizerSpec = L1L2 | 'l1' | 'l2' | 'l1l2';

export const l1 = (args: { l1?: number } = {}): L1L2 => new L1L2(options(args, 'l1').l1 ?? 0.01, 0, 'l1');
export const l2 = (args: { l2?: number } = {}): L1L2 => new L1L2(0, options(args, 'l2').l2 ?? 0.01, 'l2');
export const l1l2 = (args: { l1?: number; l2?: number } = {}): L1L2 => {
  const a = options(args, 'l1l2');
  return new L1L2(a.l1 ?? 0.01, a.l2 ?? 0.01);
};

/** A regularizer from a layer option (undefined/null: none); `who` names the layer and option. */
export function getRegularizer(spec: unknown, who: string): L1L2 | null {
  if (spec === undefined || spec === null) return null;
  if (spec instanceof L1L2) return spec;
  if (spec === 'l1') return l1();
  if (spec === 'l2') return l2();
  if (spec === 'l1l2') return l1l2();
  throw new Error(`simdnet: ${who} must be sn.regularizers.l1/l2/l1l2(...) or 'l1' | 'l2' | 'l1l2', got ${describeValue(spec)}`);
}

/** The config a layer saves: TF.js's `{ class_name: 'L1L2', config: { l1, l2 } }`, or null. */
export function regularizerConfig(r: L1L2 | null): unknown {
  return r ? { class_name: 'L1L2', config: r.getConfig() } : null;
}

/** Reads a saved regularizer: TF.js's and Keras's L1L2, Keras's L1 and L2 (or null). */
export function regularizerFromConfig(c: unknown, who: string): L1L2 | null {
  if (c === undefined || c === null) return null;
  const o = c as { class_name?: unknown; config?: Record<string, unknown> };
  const cfg = o.config ?? {};
  const num = (v: unknown): number => (v === undefined || v === null ? 0 : (v as number));
  switch (o.class_name) {
    case 'L1L2':
      return new L1L2(num(cfg.l1), num(cfg.l2), who);
    case 'L1':
      return new L1L2(num(cfg.l1), 0, who);
    case 'L2':
      return new L1L2(0, num(cfg.l2), who);
  }
  throw new Error(`simdnet: loadModel: ${who} is ${describeValue(o.class_name)}; simdnet reads L1L2, L1 and L2 regularizers`);
}

function options<T extends object>(args: T, who: string): T {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    throw new Error(`simdnet: regularizers.${who}: expects an options object such as { ${who === 'l1' ? 'l1' : 'l2'}: 0.01 }, got ${describeValue(args)}`);
  }
  return args;
}

function checkFactor(v: unknown, name: string, who: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`simdnet: ${who}: ${name} must be a finite number ≥ 0, got ${describeValue(v)}`);
  return v;
}
