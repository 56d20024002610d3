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

function sameMemory(a: Tensor, b: Tensor): boolean {
  return a.ptr === b.ptr && a.size === b.size;
}

/**
 * Throws when an output overlaps an input or another output. With `inPlace`, an output may be exactly an
 * input (same offset and size) — the elementwise case.
 */
export function refuseAliasing(op: string, outputs: Named, inputs: Named, inPlace = false): void {
  const outs = Object.entries(outputs).filter((e): e is [string, Tensor] => e[1] !== null);
  const ins = Object.entries(inputs).filter((e): e is [string, Tensor] => e[1] !== null);
  for (let i = 0; i < outs.length; i++) {
    const [name, out] = outs[i];
    for (const [other, t] of ins) {
      if (!overlaps(out, t) || (inPlace && sameMemory(out, t))) continue;
      throw new Error(
        inPlace
          ? `simdnet ${op}: output ${name} [${out.shape}] partially overlaps input ${other} [${t.shape}]: it may be the very same memory (in place) but not a shifted or resized view of it`
          : `simdnet ${op}: output ${name} [${out.shape}] shares memory with input ${other} [${t.shape}], which the kernel reads while writing ${name}: pass a separate output tensor`,
      );
    }
    for (let j = i + 1; j < outs.length; j++) {
      const [other, t] = outs[j];
      if (overlaps(out, t)) throw new Error(`simdnet ${op}: outputs ${name} [${out.shape}] and ${other} [${t.shape}] share memory: pass separate tensors`);
    }
  }
}
