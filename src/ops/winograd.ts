// Winograd F(2x2, 3x3) convolution (assembly/winograd.ts): the forward of 3x3, stride-1, dilation-1,
// ungrouped conv2d, and the filter plan a layer keeps so the filter transform runs once per weight version.
import { engine, type KernelCall } from '../backend/engine.js';
import { splitWork } from '../backend/split.js';
import { Tensor } from '../tensor.js';

const align64 = (n: number) => Math.ceil(n / 64) * 64;

/** One transformed filter tensor and the weight version it was made from. */
class Transformed {
  u: Tensor | null = null;
  weight: Tensor | null = null;
  version = -1;

  /** Pointer to the transform of `w`, made again when `w` is new or has been written. */
  of(w: Tensor, flipped: boolean): number {
    const [, , C, F] = w.shape;
    if (this.u && !this.u.isDisposed && this.weight === w && this.version === w.version && this.u.size === 16 * C * F) {
      return this.u.ptr;
    }
    this.dispose();
    const u = Tensor.empty([16, C, F]);
    const k = engine().kernels;
    if (flipped) k.winograd_filter_flipped_f32(w.ptr, u.ptr, C, F);
    else k.winograd_filter_f32(w.ptr, u.ptr, C, F);
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
 * A conv layer's transformed filters: U (16, C, F) for the forward and, in training, U' (16, F, C) of the
 * flipped filters for the input gradient; each remade when the weight tensor or its `version` changes (an
 * optimizer step, setWeights, a load). Owned by the layer: dispose it with the layer.
 */
export class WinogradPlan {
  private readonly forward = new Transformed();
  private readonly flipped = new Transformed();

  /** Pointer to U for `w` (3, 3, C, F) — or, `flipped`, to U' for dx — transforming it first when needed. */
  filters(w: Tensor, flipped = false): number {
    return (flipped ? this.flipped : this.forward).of(w, flipped);
  }

  dispose(): void {
    this.forward.dispose();
    this.flipped.dispose();
  }
}

/**
 * y = act(conv3x3(x, w) + b) by Winograd; the caller has checked the shapes and that the conv is 3x3,
 * stride 1, dilation 1, groups 1. Split by output tiles across threads, so a batch of one uses them all.
 * `flipped`: w is (3, 3, y's channels, x's channels) and the filters are flipped — the input gradient of
 * that conv, dx = winogradForward(dy, w, null, dx, 2 − padTop, 2 − padLeft, …, flipped = true).
 */
export function winogradForward(
  x: Tensor, w: Tensor, b: Tensor | null, y: Tensor, padTop: number, padLeft: number,
  act: number, alpha: number, plan: WinogradPlan | null, flipped = false,
): void {
  const e = engine();
  const k = e.kernels;
  const [N, H, W, C] = x.shape;
  const [, OH, OW, F] = y.shape;
  const tiles = N * Math.ceil(OH / 2) * Math.ceil(OW / 2);
  // Work as the split threshold counts it (GEMM-speed FLOPs): the direct conv's 2·9·C·F per output pixel,
  // since the products run ~2x slower per FLOP than a large GEMM (K = C is short, transforms around them).
  // Counting only the 16 products per tile kept the MNIST convnet's second conv (batch 1) on one thread.
  const parts = splitWork(tiles, 2 * 9 * 4 * tiles * C * F, 2);
  const uBytes = plan ? 0 : align64(k.winograd_filter_bytes(C, F));
  const stride = align64(k.winograd_forward_scratch_bytes(C, F));
  const scratch = e.scratch(uBytes + stride * parts.length);
  let u: number;
  if (plan) u = plan.filters(w, flipped);
  else {
    u = scratch;
    const [, , wc, wf] = w.shape;
    if (flipped) k.winograd_filter_flipped_f32(w.ptr, u, wc, wf);
    else k.winograd_filter_f32(w.ptr, u, C, F);
  }
  const base = scratch + uBytes;
  e.parallel(parts.map(([t0, tn], t): KernelCall => [
    'winograd_forward_f32', x.ptr, u, b ? b.ptr : 0, y.ptr, N, H, W, C, F, OH, OW, padTop, padLeft,
    t0, tn, act, alpha, base + t * stride,
  ]));
}

/**
 * The backward of winogradForward (3x3, stride 1, dilation 1, groups 1; shapes checked by the caller) on the
 * forward's tiles: dw (3,3,C,F) and db (F) — overwritten, or added to with `accumulate` — and dx (overwritten)
 * when not null. `reluY`: dy is the gradient of y = relu(z) and this is y, so the relu's backward is fused
 * (dy masked where y ≤ 0). Split by images across threads, each part summing its own dU; one finish call
 * adds the parts and transforms them back (assembly/winograd.ts).
 */
export function winogradBackward(
  x: Tensor, w: Tensor, dy: Tensor, reluY: Tensor | null, dx: Tensor | null, dw: Tensor, db: Tensor | null,
  padTop: number, padLeft: number, accumulate: boolean, plan: WinogradPlan | null,
): void {
  const e = engine();
  const k = e.kernels;
  const [N, H, W, C] = x.shape;
  const [, OH, OW, F] = dy.shape;
  const flop = 2 * 2 * 9 * N * OH * OW * C * F;
  const parts = splitWork(N, flop);
  const uBytes = dx && !plan ? align64(k.winograd_filter_bytes(C, F)) : 0;
  const partBytes = align64(k.winograd_dw_part_bytes(C, F));
  const stride = align64(k.winograd_backward_scratch_bytes(C, F));
  const scratch = e.scratch(uBytes + (partBytes + stride) * parts.length);
  let u = 0;
  if (dx && plan) u = plan.filters(w);
  else if (dx) {
    u = scratch;
    k.winograd_filter_f32(w.ptr, u, C, F);
  }
  const dwParts = scratch + uBytes;
  const work = dwParts + partBytes * parts.length;
  e.parallel(parts.map(([n0, nn], t): KernelCall => [
    'winograd_backward_f32', x.ptr, u, dy.ptr, reluY ? reluY.ptr : 0, dx ? dx.ptr : 0, dwParts + t * partBytes,
    N, H, W, C, F, OH, OW, padTop, padLeft, n0, nn, work + t * stride,
  ]));
  k.winograd_dw_finish_f32(dwParts, parts.length, dw.ptr, db ? db.ptr : 0, C, F, accumulate ? 1 : 0);
}
