// Refusing outputs that share memory with inputs where a kernel cannot take it. A GEMM or a convolution
// reads its inputs again after it has started writing its output, so `matmul(a, b, a)` would silently
// compute garbage; elementwise kernels read each element before writing it, so there the output may be
// exactly an input (in place), but not a shifted or resized view of one.
import type { Tensor } from '../tensor.js';

type Named = Record<string, Tensor | null>;

/** Whether the memory of two tensors intersects (empty tensors never do). */
export function overlaps(a: Tensor, b: Tensor): boolean {
  if (a.size === 0 || b.size === 0) return false;
  const pa = a.ptr;
  const pb = b.ptr;
  return pa < pb + 4 * b.size && pb < pa + 4 * a.size;
}

/**
 * Throws when an output overlaps an input or another output. With `inPlace`, an output may be exactly an
 * input (same offset and size) — the elementwise case. Runs on every kernel call, so it allocates nothing
 * unless it throws.
 */
export function refuseAliasing(op: string, outputs: Named, inputs: Named, inPlace = false): void {
  for (const name in outputs) {
    const out = outputs[name];
    if (out === null || out.size === 0) continue;
    const lo = out.ptr;
    const hi = lo + 4 * out.size;
    for (const other in inputs) {
      const t = inputs[other];
      if (t === null || t.size === 0) continue;
      const p = t.ptr;
      if (p >= hi || lo >= p + 4 * t.size || (inPlace && p === lo && t.size === out.size)) continue;
      throw new Error(
        inPlace
          ? `simdnet ${op}: output ${name} [${out.shape}] partially overlaps input ${other} [${t.shape}]: it may be the very same memory (in place) but not a shifted or resized view of it`
          : `simdnet ${op}: output ${name} [${out.shape}] shares memory with input ${other} [${t.shape}], which the kernel reads while writing ${name}: pass a separate output tensor`,
      );
    }
    let later = false;
    for (const other in outputs) {
      if (other === name) later = true;
      else if (later) {
        const t = outputs[other];
        if (t !== null && overlaps(out, t)) {
          throw new Error(`simdnet ${op}: outputs ${name} [${out.shape}] and ${other} [${t.shape}] share memory: pass separate tensors`);
        }
      }
    }
  }
}
