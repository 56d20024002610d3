// `sn.optimizers`: sgd, adam, rmsprop (a learning rate or an options object), and lookup by name.
import { Optimizer } from './optimizer.js';
import { describeValue } from '../describe.js';
import { SGD, type SGDArgs } from './sgd.js';
import { Adam, type AdamArgs } from './adam.js';
import { RMSProp, type RMSPropArgs } from './rmsprop.js';

export { Optimizer, SGD, Adam, RMSProp };
/** Learning-rate schedules usable as `learningRate`: `cosineDecay`, `exponentialDecay` (Keras's formulas, per step). */
export * as schedules from './schedules.js';
export type { SGDArgs, AdamArgs, RMSPropArgs };

const args = <T extends { learningRate?: unknown }>(a: number | T | undefined, who: string): T => {
  if (typeof a === 'number') return { learningRate: a } as T;
  if (a === undefined) return {} as T;
  if (a === null || typeof a !== 'object' || Array.isArray(a)) {
    throw new Error(`simdnet: ${who}: expects a learning rate or an options object, got ${describeValue(a)}`);
  }
  return a;
};

export const sgd = (a?: number | SGDArgs): SGD => new SGD(args(a, 'sgd'));
export const adam = (a?: number | AdamArgs): Adam => new Adam(args(a, 'adam'));
export const rmsprop = (a?: number | RMSPropArgs): RMSProp => new RMSProp(args(a, 'rmsprop'));

/** The optimizer names `compile({ optimizer })` accepts (with TF.js's defaults). */
export type OptimizerName = 'sgd' | 'adam' | 'rmsprop';

/** An optimizer from a name ('sgd', 'adam', 'rmsprop', TF.js defaults) or an optimizer object. */
export function getOptimizer(o: string | Optimizer): Optimizer {
  if (o instanceof Optimizer) return o;
  switch (typeof o === 'string' ? o.toLowerCase() : o) {
    case 'sgd':
      return sgd();
    case 'adam':
      return adam();
    case 'rmsprop':
      return rmsprop();
  }
  throw new Error(`simdnet: compile: unknown optimizer ${describeValue(o)} (known: sgd, adam, rmsprop, or sn.optimizers.*(...))`);
}
