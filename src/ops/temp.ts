// A temporary buffer for wrappers whose kernel overwrites an output that the caller wants added to.
import { engine } from '../backend/engine.js';

/**
 * Runs `f` with a temporary buffer of `floats` floats from the heap (not the engine's scratch, which the
 * kernels `f` calls may use), freed afterwards. For kernels that overwrite and must accumulate instead.
 */
export function withTemp(floats: number, f: (ptr: number) => void): void {
  const e = engine();
  const ptr = e.heap.alloc(Math.max(4, floats * 4));
  try {
    f(ptr);
  } finally {
    e.releaseTemp(ptr); // kept instead while a trace records (inference plans replay pointers into it)
  }
}
