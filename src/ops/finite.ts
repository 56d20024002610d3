// Finding non-finite values (NaN, ±Infinity) in a tensor, in wasm: one SIMD pass, nothing copied to JS.
// fit checks inputs and labels once with it, so a stray NaN is named before it poisons every weight.
import { engine } from '../backend/engine.js';
import type { Tensor } from '../tensor.js';

/** The flat index of the first NaN or ±Infinity in t, or -1 when all its values are finite. */
export function firstNonFinite(t: Tensor): number {
  return engine().kernels.first_nonfinite_f32(t.ptr, t.size);
}
