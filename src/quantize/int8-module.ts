// The int8 kernels are a wasm module of their own (assembly/int8.ts), embedded in this entry rather than in
// the main bundle, which stays smaller for everyone who never quantizes. quantize() and loadQuantizedModel()
// load it onto the running engine (Engine.extend: here and in every worker) before any int8 kernel runs.
import * as int8Binaries from './int8-binaries.generated.js';
import { engine } from './main.js';

/** Loads the int8 kernels onto the running engine (once per engine). */
export function loadInt8Kernels(): Promise<void> {
  return engine().extend(int8Binaries);
}

/** The running engine, checked to carry the int8 kernels; `what` names the caller in the error. */
export function int8Engine(what: string): ReturnType<typeof engine> {
  const e = engine();
  if (typeof e.kernels.int8_gemm !== 'function') {
    throw new Error(`simdnet ${what}: the int8 kernels are not loaded on this engine yet: quantize() and loadQuantizedModel() load them (await either first)`);
  }
  return e;
}
