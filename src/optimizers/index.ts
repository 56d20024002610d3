// `sn.optimizers`: sgd, adam, rmsprop (a learning rate or an options object), and lookup by name.
import { Optimizer } from './optimizer.js';
import { SGD, type SGDArgs } from './sgd.js';
import { Adam, type AdamArgs } from './adam.js';
import { RMSProp, type RMSPropArgs } from './rmsprop.js';

export { Optimizer, SGD, Adam, RMSProp };
export type { SGDArgs, AdamArgs, RMSPropArgs };

const args = <T extends { learningRate?: number }>(a: number | T | undefined): T =>
  (typeof a === 'number' ? { learningRate: a } : (a ?? {})) as T;

export const sgd = (a?: number | SGDArgs): SGD => new SGD(args(a));
export const adam = (a?: number | AdamArgs): Adam => new Adam(args(a));
export const rmsprop = (a?: number | RMSPropArgs): RMSProp => new RMSProp(args(a));

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
  throw new Error(`simdnet: compile: unknown optimizer '${String(o)}' (known: sgd, adam, rmsprop, or sn.optimizers.*(...))`);
}
