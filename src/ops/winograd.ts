// Winograd F(2x2, 3x3) convolution (assembly/winograd.ts): the forward of 3x3, stride-1, dilation-1,
// ungrouped conv2d, and the filter plan a layer keeps so the filter transform runs once per weight version.
import { engine, type KernelCall } from '../backend/engine.js';
import { splitWork } from '../backend/split.js';
import { Tensor } from '../tensor.js';

const align64 = (n: number) => Math.ceil(n / 64) * 64;

/**
 * A conv layer's transformed filters U (16, C, F), remade when the weight tensor or its `version` changes
 * (an optimizer step, setWeights, a load). Owned by the layer: dispose it with the layer.
 */
export class WinogradPlan {
  private u: Tensor | null = null;
  private weight: Tensor | null = null;
  private version = -1;

  /** Pointer to U for `w` (3, 3, C, F), transforming it first when it is new or has been written. */
  filters(w: Tensor): number {
    const [, , C, F] = w.shape;
    if (this.u && !this.u.isDisposed && this.weight === w && this.version === w.version && this.u.size === 16 * C * F) {
      return this.u.ptr;
    }
    this.dispose();
    const u = Tensor.empty([16, C, F]);
    engine().kernels.winograd_filter_f32(w.ptr, u.ptr, C, F);
    this.u = u;
    this.weight = w;
    this.version = w.version;
    return u.ptr;
  }

  dispose(): void {
    this.u?.dispose();
    this.u = null;
    this.weight = null;
  }
}

/**
 * y = act(conv3x3(x, w) + b) by Winograd; the caller has checked the shapes and that the conv is 3x3,
 * stride 1, dilation 1, groups 1. Split by output tiles across threads, so a batch of one uses them all.
 */
export function winogradForward(
  x: Tensor, w: Tensor, b: Tensor | null, y: Tensor, padTop: number, padLeft: number,
  act: number, alpha: number, plan: WinogradPlan | null,
): void {
  const e = engine();
  const k = e.kernels;
  const [N, H, W, C] = x.shape;
  const [, OH, OW, F] = y.shape;
  const tiles = N * Math.ceil(OH / 2) * Math.ceil(OW / 2);
  // Effective work: the 16 products per tile dominate.
  const parts = splitWork(tiles, 2 * 16 * tiles * C * F, 4);
  const uBytes = plan ? 0 : align64(k.winograd_filter_bytes(C, F));
  const stride = align64(k.winograd_forward_scratch_bytes(C, F));
  const scratch = e.scratch(uBytes + stride * parts.length);
  let u: number;
  if (plan) u = plan.filters(w);
  else {
    u = scratch;
    k.winograd_filter_f32(w.ptr, u, C, F);
  }
  const base = scratch + uBytes;
  e.parallel(parts.map(([t0, tn], t): KernelCall => [
    'winograd_forward_f32', x.ptr, u, b ? b.ptr : 0, y.ptr, N, H, W, C, F, OH, OW, padTop, padLeft,
    t0, tn, act, alpha, base + t * stride,
  ]));
}
