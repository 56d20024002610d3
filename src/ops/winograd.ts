// Winograd F(2x2, 3x3) and F(4x4, 3x3) convolution (assembly/winograd.ts): the forward and backward of 3x3,
// stride-1, dilation-1, ungrouped conv2d, and the filter plan a layer keeps so the filter transform runs once
// per weight version. `tile` is the output tile's side m (2 or 4); each has its own transformed filters.
import { engine, type KernelCall } from '../backend/engine.js';
import { evenRanges, splitRanges, splitWork, threadsFor } from '../backend/split.js';
import { Tensor } from '../tensor.js';
import { align64 } from '../backend/memory.js';

/** The output tile's side: F(2x2,3x3) or F(4x4,3x3). */
export type WinogradTile = 2 | 4;

/**
 * Packs U (or U_ξᵀ) for the products, split by positions ξ across threads: once per weight version, each
 * training step (~35 µs each of the MNIST convnet's step, ~0.8 % of it on 2 threads when on one). A copy:
 * the same bytes whatever the split.
 */
function packFilters(
  kernel: 'winograd_pack_filters_f32' | 'winograd_pack_filters_t_f32', u: number, up: number, C: number, F: number, tile: WinogradTile,
): void {
  const P = (tile + 2) ** 2;
  engine().parallel(splitRanges(P, 2 * P * C * F).map(([xi0, xin]): KernelCall => [kernel, u, up, C, F, tile, xi0, xin]));
}

/**
 * One transformed filter tensor (and its packed copies, once asked for) and the weight version it was made
 * from. A new version of the same shape (each training step's update) is transformed and packed into the same
 * memory: no allocator call per step (three allocations and releases of the MNIST convnet's step were).
 */
class Transformed {
  u: Tensor | null = null;
  packed: Tensor | null = null;
  /** U packed for the backward's dx products (U_ξᵀ), once asked for. */
  packedT: Tensor | null = null;
  weight: Tensor | null = null;
  version = -1;
  /** How many times U was made; each packed copy remembers the U it was packed from. */
  private made = 0;
  private packedFrom = -1;
  private packedTFrom = -1;

  /** Pointer to the transform of `w`, made again when `w` is new or has been written. */
  of(w: Tensor, flipped: boolean, tile: WinogradTile): number {
    const [, , C, F] = w.shape;
    const P = (tile + 2) ** 2;
    const fits = this.u !== null && !this.u.isDisposed && this.u.size === P * C * F;
    if (fits && this.weight === w && this.version === w.version) return this.u!.ptr;
    if (!fits) {
      this.dispose();
      this.u = Tensor.empty([P, C, F]);
    }
    transformFilters(w, this.u!.ptr, flipped, tile);
    this.weight = w;
    this.version = w.version;
    this.made++;
    return this.u!.ptr;
  }

  /** Pointer to the transform packed for the forward's products (0 where it cannot be: C > 384). */
  packedOf(w: Tensor, flipped: boolean, tile: WinogradTile): number {
    // The forward's channels and filters: w's, or swapped for the flipped filters of dx.
    const [, , wc, wf] = w.shape;
    const [C, F] = flipped ? [wf, wc] : [wc, wf];
    return this.packedCopy(false, this.of(w, flipped, tile), C, F, tile);
  }

  /** Pointer to the (unflipped) transform packed for the backward's dx products (0 where it cannot be: F > 384). */
  packedTOf(w: Tensor, tile: WinogradTile): number {
    const [, , C, F] = w.shape;
    return this.packedCopy(true, this.of(w, false, tile), C, F, tile);
  }

  /** U at `u` packed (U_ξᵀ where `transposed`), kept until U is made again. */
  private packedCopy(transposed: boolean, u: number, C: number, F: number, tile: WinogradTile): number {
    let kept = transposed ? this.packedT : this.packed;
    const fresh = kept !== null && !kept.isDisposed;
    if (fresh && (transposed ? this.packedTFrom : this.packedFrom) === this.made) return kept!.ptr;
    const k = engine().kernels;
    const bytes = transposed ? k.winograd_packed_filter_t_bytes(C, F, tile) : k.winograd_packed_filter_bytes(C, F, tile);
    if (!bytes) return 0;
    if (!fresh || kept!.size !== bytes / 4) {
      kept?.dispose();
      kept = Tensor.empty([bytes / 4]);
    }
    if (transposed) [this.packedT, this.packedTFrom] = [kept, this.made];
    else [this.packed, this.packedFrom] = [kept, this.made];
    packFilters(transposed ? 'winograd_pack_filters_t_f32' : 'winograd_pack_filters_f32', u, kept!.ptr, C, F, tile);
    return kept!.ptr;
  }

  dispose(): void {
    this.u?.dispose();
    this.packed?.dispose();
    this.packedT?.dispose();
    this.u = null;
    this.packed = null;
    this.packedT = null;
    this.weight = null;
  }
}

/**
 * A conv layer's transformed filters: U ((m+2)², C, F) for the forward and backward and, where dx alone runs
 * as a conv of dy, U' ((m+2)², F, C) of the flipped filters, for each tile side m used; each remade when the
 * weight tensor or its `version` changes (an optimizer step, setWeights, a load). Owned by the layer: dispose
 * it with the layer.
 */
export class WinogradPlan {
  // [F(2,3), F(2,3) flipped, F(4,3), F(4,3) flipped]
  private readonly transforms = [new Transformed(), new Transformed(), new Transformed(), new Transformed()];

  /** Pointer to U for `w` (3, 3, C, F) — or, `flipped`, to U' for dx — transforming it first when needed. */
  filters(w: Tensor, flipped = false, tile: WinogradTile = 2): number {
    return this.transforms[(tile === 4 ? 2 : 0) + (flipped ? 1 : 0)].of(w, flipped, tile);
  }

  /**
   * The same U packed as the forward's products read it (once per weight version instead of once per call
   * and part: ~4.4 µs of each half of the MNIST convnet's conv2 at batch 1); 0 where it cannot be.
   */
  packedFilters(w: Tensor, flipped = false, tile: WinogradTile = 2): number {
    return this.transforms[(tile === 4 ? 2 : 0) + (flipped ? 1 : 0)].packedOf(w, flipped, tile);
  }

  /** U packed as the backward's dx products read it (U_ξᵀ), kept beside U; 0 where it cannot be. */
  packedFiltersForDx(w: Tensor, tile: WinogradTile = 2): number {
    return this.transforms[tile === 4 ? 2 : 0].packedTOf(w, tile);
  }

  dispose(): void {
    for (const t of this.transforms) t.dispose();
  }
}

/**
 * A 2x2/2 max pool fused after the conv (a conv → pool, src/model/conv-pool.ts; F(4x4,3x3) only): y
 * (forward) and dy, reluY (backward) are the pool's (N, ⌊OH/2⌋, ⌊OW/2⌋, F), `argmax` its winners as
 * maxPool2dForward records them (element indices into the conv's (N, OH, OW, F) output, never written);
 * null in predict's forward (no winners kept).
 */
export interface WinogradPool {
  OH: number;
  OW: number;
  argmax: Tensor | null;
}

/**
 * y = act(conv3x3(x, w) + b) by Winograd; the caller has checked the shapes and that the conv is 3x3,
 * stride 1, dilation 1, groups 1. Split by output tiles across threads, so a batch of one uses them all.
 * `flipped`: w is (3, 3, y's channels, x's channels) and the filters are flipped — the input gradient of
 * that conv, dx = winogradForward(dy, w, null, dx, 2 − padTop, 2 − padLeft, …, flipped = true).
 */
export function winogradForward(
  x: Tensor, w: Tensor, b: Tensor | null, y: Tensor, padTop: number, padLeft: number,
  act: number, alpha: number, plan: WinogradPlan | null, tile: WinogradTile, flipped = false, pool: WinogradPool | null = null,
): void {
  const e = engine();
  const k = e.kernels;
  const [N, H, W, C] = x.shape;
  const F = y.shape[3];
  const [OH, OW] = pool ? [pool.OH, pool.OW] : [y.shape[1], y.shape[2]];
  const tiles = N * Math.ceil(OH / tile) * Math.ceil(OW / tile);
  // Work as the split threshold counts it (GEMM-speed FLOPs): the direct conv's 2·9·C·F per output pixel,
  // since the products run ~2x slower per FLOP than a large GEMM (K = C is short, transforms around them).
  // Counting only the 16 products per tile kept the MNIST convnet's second conv (batch 1) on one thread.
  const parts = winogradParts(tiles, F, 2 * 9 * tile * tile * tiles * C * F);
  const uBytes = plan ? 0 : align64(k.winograd_filter_bytes(C, F, tile));
  const stride = align64(k.winograd_forward_scratch_bytes(C, F, tile));
  const scratch = e.scratch(uBytes + stride * parts.length);
  let u: number;
  const packed = plan ? plan.packedFilters(w, flipped, tile) : 0;
  if (plan) u = packed || plan.filters(w, flipped, tile);
  else {
    u = scratch;
    transformFilters(w, u, flipped, tile);
  }
  const base = scratch + uBytes;
  e.parallel(parts.map((part, t): KernelCall => [
    'winograd_forward_f32', x.ptr, u, b ? b.ptr : 0, y.ptr, N, H, W, C, F, OH, OW, padTop, padLeft,
    ...part, act, alpha, tile, +!!packed, +!!pool, base + t * stride, pool?.argmax ? pool.argmax.ptr : 0,
  ]));
}

/** A forward part: tiles [t0, t0 + tn) × filters [f0, f0 + fn), then [t1, t1 + tn1) × [f1, f1 + fn1). */
type Part = [t0: number, tn: number, f0: number, fn: number, t1: number, tn1: number, f1: number, fn1: number];

/**
 * The forward's parts. The products run in blocks of 4 tiles (the GEMM's rows) by panels of 8 filters (its
 * columns). Where tiles are many, parts are runs of whole blocks. Where they are few (batch 1: the MNIST
 * convnet's second conv has 9 tiles, 3 blocks) the choice is by a cost model, among: g runs of blocks × h
 * ranges of filters (g·h parts), the blocks left over (blocks % g) split by filters among them. On 2 threads
 * that is a block of 4 tiles by 64 filters and the 9th tile by 32 each: 1.9x faster than the whole on one
 * thread, where a split of all 9 tiles by filters was 1.75x (every part transformed every tile's input; with
 * the products batched per block, the two split alike alone, and all 9 tiles by filters made the 2-thread
 * predict slower: 0.666 against 0.655 of one thread); on 4 and 8 threads a block by 32 or 16 filters each.
 * Bitwise the same values whatever the split.
 */
function winogradParts(tiles: number, F: number, flop: number): Part[] {
  const blocks = Math.ceil(tiles / 4), panels = Math.ceil(F / 8);
  const threads = threadsFor(flop, blocks * panels);
  const key = `${tiles} ${F} ${threads}`;
  let best = chosenParts.get(key);
  if (best) return best;
  best = evenRanges(tiles, Math.min(threads, blocks), 4).map(([t0, tn]): Part => [t0, tn, 0, F, 0, 0, 0, 0]);
  for (let g = 1, least = partsCost(best); blocks < 8 * threads && g <= Math.min(threads, blocks); g++) {
    const whole = Math.min(tiles, 4 * g * Math.floor(blocks / g)); // tiles in g equal runs of whole blocks
    // The tiles left over lie just before the last run (which moves up), next to the runs whose parts get
    // them first (below): each part's tiles are neighbours, so at batch 1 a part reads fewer rows that
    // another thread wrote (the MNIST convnet's conv2 on 2 threads: tiles 0-3 and 5-8 by 64 filters, tile 4
    // by 32 each).
    const extra = tiles - whole;
    const runs = evenRanges(whole, g, 4);
    const t1 = runs[runs.length - 1][0];
    runs[runs.length - 1][0] += extra;
    for (let h = 1; g * h <= threads && h <= panels; h++) {
      const parts = runs.flatMap(([t0, tn]) => evenRanges(F, h, 8).map(([f0, fn]): Part => [t0, tn, f0, fn, t1, 0, 0, 0]));
      // The tiles left over, by filters: to the last parts (the shorter ranges) first.
      if (extra > 0) evenRanges(F, Math.min(parts.length, panels), 8).forEach(([f1, fn1], i) => parts[parts.length - 1 - i].splice(5, 3, extra, f1, fn1));
      const cost = partsCost(parts);
      if (cost < least - 0.01) [best, least] = [parts, cost];
    }
  }
  if (chosenParts.size > 255) chosenParts.clear();
  chosenParts.set(key, best);
  return best;
}

// The search costs 3 µs (2 threads, the MNIST convnet's conv2 at batch 1) to 2 ms (64 threads, 500 tiles) and
// training's forwards are not replayed: each shape and pool width is searched once.
const chosenParts = new Map<string, Part[]>();

/**
 * The most costly part, in products of a block of 4 tiles by a panel of 8 filters. A tile in a block of
 * fewer than 4 runs alone (the GEMM's edge rows): 0.36 of a block (9.2 against 25.5 µs on the MNIST convnet's
 * second conv). A part transforms the input of each of its tiles: ~0.23 each (~10 % of that conv at batch 1).
 */
const partsCost = (parts: Part[]): number => Math.max(...parts.map((p) => cost(p[1], p[3]) + cost(p[5], p[7])));
const cost = (tn: number, fn: number) => ((tn >> 2) + 0.36 * (tn & 3)) * Math.ceil(fn / 8) + (fn && 0.23 * tn);

/**
 * The backward of winogradForward (3x3, stride 1, dilation 1, groups 1; shapes checked by the caller) on the
 * forward's tiles: dw (3,3,C,F) and db (F) — overwritten, or added to with `accumulate` — and dx (overwritten)
 * when not null. `reluY`: dy is the gradient of y = relu(z) and this is y, so the relu's backward is fused
 * (dy masked where y ≤ 0). `pool`: dy and reluY are those of a max pool after the conv. Split by images across threads, each part summing its own dU; one finish call
 * adds the parts and transforms them back (assembly/winograd.ts).
 */
export function winogradBackward(
  x: Tensor, w: Tensor, dy: Tensor, reluY: Tensor | null, dx: Tensor | null, dw: Tensor, db: Tensor | null,
  padTop: number, padLeft: number, accumulate: boolean, plan: WinogradPlan | null, tile: WinogradTile,
  pool: WinogradPool | null = null,
): void {
  const e = engine();
  const k = e.kernels;
  const [N, H, W, C] = x.shape;
  const F = dy.shape[3];
  const [OH, OW] = pool ? [pool.OH, pool.OW] : [dy.shape[1], dy.shape[2]];
  const flop = 2 * 2 * 9 * N * OH * OW * C * F;
  const parts = splitWork(N, flop);
  const uBytes = dx && !plan ? align64(k.winograd_filter_bytes(C, F, tile)) : 0;
  const partBytes = align64(k.winograd_dw_part_bytes(C, F, tile));
  const stride = align64(k.winograd_backward_scratch_bytes(C, F, tile));
  const scratch = e.scratch(uBytes + (partBytes + stride) * parts.length);
  let u = 0;
  let upT = 0;
  if (dx && plan) {
    u = plan.filters(w, false, tile);
    upT = plan.packedFiltersForDx(w, tile);
  } else if (dx) {
    u = scratch;
    transformFilters(w, u, false, tile);
  }
  const dwParts = scratch + uBytes;
  const work = dwParts + partBytes * parts.length;
  e.parallel(parts.map(([n0, nn], t): KernelCall => [
    'winograd_backward_f32', x.ptr, u, dy.ptr, reluY ? reluY.ptr : 0, dx ? dx.ptr : 0, dwParts + t * partBytes,
    N, H, W, C, F, OH, OW, padTop, padLeft, n0, nn, tile, work + t * stride, pool ? pool.argmax!.ptr : 0, upT,
  ]));
  // Adding the parts and transforming dU back: split by (c, f) pairs (~0.1 µs each, ~3 % of the MNIST
  // convnet's training step on 2 threads when it ran on one).
  const pairs = C * F;
  e.parallel(splitWork(pairs, FINISH_FLOP_PER_PAIR * pairs, 1).map(([i0, iN]): KernelCall => [
    'winograd_dw_finish_f32', dwParts, parts.length, dw.ptr, db ? db.ptr : 0, C, F, accumulate ? 1 : 0, tile, i0, iN,
  ]));
}

/**
 * U (or the flipped U') of w (3, 3, C, F) into u, split by channels across threads: once per weight version,
 * each training step (~0.14 µs per (c, f) in f64 scalar code: 0.29 ms of the MNIST convnet's step, ~3 % of
 * it on 2 threads when it ran on one). Bitwise the same U whatever the split.
 */
function transformFilters(w: Tensor, u: number, flipped: boolean, tile: WinogradTile): void {
  const [, , C, F] = w.shape;
  engine().parallel(splitWork(C, FILTER_FLOP_PER_PAIR * C * F, 1).map(([c0, cn]): KernelCall => [
    'winograd_filter_f32', w.ptr, u, C, F, tile, c0, cn, +flipped,
  ]));
}

// What a (c, f) pair of the filter transform and of the dw finish costs, in FLOPs of the GEMM (~20 GFLOP/s
// here), the unit the split thresholds count in: 0.14 µs and ~0.1 µs measured (F(4,3), C32 F64).
const FILTER_FLOP_PER_PAIR = 2800;
const FINISH_FLOP_PER_PAIR = 2000;
