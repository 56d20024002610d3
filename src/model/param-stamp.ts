// What a recorded kernel trace depends on besides shapes: each layer's params array, each param's version
// (−1 once disposed, as the int8 layers' float kernels are) and the process-wide kernel choices. Shared by
// predict's inference plans and the quantized program's replay (src/quantize/replay.ts, via _internal).
// `same` allocates nothing: at batch 1 it runs once per predict of ~100 µs.
import { kernelChoiceEpoch } from '../backend/engine.js';
import type { Layer, Param } from '../layers/layer.js';

export class ParamStamp {
  private epoch = -1;
  private paramLists: Param[][] = [];
  private versions: number[] = [];

  /** Records the layers' params and versions and the kernel-choice epoch now. */
  take(layers: readonly Layer[]): void {
    this.epoch = kernelChoiceEpoch();
    this.paramLists = layers.map((l) => l.params);
    this.versions = this.paramLists.flatMap((ps) => ps.map((p) => (p.value.isDisposed ? -1 : p.value.version)));
  }

  /** Whether nothing `take` recorded has moved since. */
  same(layers: readonly Layer[]): boolean {
    if (this.epoch !== kernelChoiceEpoch() || layers.length !== this.paramLists.length) return false;
    let v = 0;
    for (let i = 0; i < layers.length; i++) {
      const params = layers[i].params;
      if (params !== this.paramLists[i]) return false;
      for (let j = 0; j < params.length; j++) {
        const value = params[j].value;
        if ((value.isDisposed ? -1 : value.version) !== this.versions[v++]) return false;
      }
    }
    return true;
  }
}
