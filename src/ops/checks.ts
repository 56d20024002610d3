// Argument checks the op wrappers share (kept out of src/ops/index.ts: not part of sn.ops): shapes compared
// and named in their error messages, and a convolution's geometry.
import type { Tensor } from '../tensor.js';

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** "x [1,28,28,1], w [3,3,1,8]": the tensors given (nulls left out), for an error message. */
export function describeTensors(named: Record<string, Tensor | null>): string {
  return Object.entries(named)
    .filter(([, t]) => t !== null)
    .map(([name, t]) => `${name} [${t!.shape}]`)
    .join(', ');
}

/** Throws fail(…) unless the strides and dilations (`ints`) are integers ≥ 1 and the paddings integers ≥ 0. */
export function checkConvGeometry(ints: number[], pads: number[], g: object, fail: (why: string) => Error): void {
  if (!ints.every((v) => Number.isInteger(v) && v >= 1) || !pads.every((v) => Number.isInteger(v) && v >= 0)) {
    throw fail(`invalid geometry ${JSON.stringify(g)} (strides and dilations must be ≥ 1, paddings ≥ 0)`);
  }
}
