// Matrix products (assembly/gemm.ts): plain matmul, and the dense layer's forward and backward.
// The kernel packs panels into the engine's scratch buffer, so nothing here allocates tensors.
import { engine } from '../backend/engine.js';
import type { Tensor } from '../tensor.js';
import { type ActivationCode, checkActivationCode } from './activation.js';
import { withTemp } from './temp.js';
import { MIN_FLOP_PER_SPLIT_IMAGE, MIN_FLOP_PER_THREAD, splitWork } from '../backend/split.js';
import type { KernelCall } from '../backend/engine.js';
import { refuseAliasing } from './alias.js';
import { describeTensors } from './checks.js';
import { align64 } from '../backend/memory.js';

export interface MatmulOptions {
  /** Use aᵀ: a is (K, M). */
  transA?: boolean;
  /** Use bᵀ: b is (N, K). */
  transB?: boolean;
  /** c += op(a)·op(b) instead of c = op(a)·op(b). */
  accumulate?: boolean;
}

function checkAct(op: string, act: number): void {
  checkActivationCode(op, act);
}

/**
 * The raw kernel call: c (M,N) = [c +] op(a)·op(b) [+ bias], then activation. Leading dimensions are in floats.
 * With a thread pool, large products are split by rows of c (or by columns when c is wide and short), each
 * part with its own scratch.
 */
export function gemmRaw(
  M: number, N: number, K: number,
  a: number, lda: number, transA: boolean,
  b: number, ldb: number, transB: boolean,
  c: number, ldc: number, accumulate: boolean,
  bias = 0, act: number = 0, alpha = 0,
): void {
  const e = engine();
  const k = e.kernels;
  const byRows = M >= N;
  const extent = byRows ? M : N;
  // One row times a matrix (a batch-1 dense layer: gemv, b read in place) splits by columns at the lower
  // threshold of one image's work, at multiples of its 32-column strips (so each column is summed as in one
  // call: bitwise the same); whole tiles (MR = 4, NR = 8) otherwise.
  const gemv = M === 1 && !transB;
  const parts = gemv
    ? splitWork(N, 2 * N * K, 32, MIN_FLOP_PER_SPLIT_IMAGE)
    : splitWork(extent, 2 * M * N * K, 8);
  if (parts.length === 1) {
    const scratch = e.scratch(k.gemm_scratch_bytes(M, N, K));
    k.gemm_f32(M, N, K, a, lda, +transA, b, ldb, +transB, c, ldc, +accumulate, bias, act, alpha, scratch);
    return;
  }
  const chunk = parts[0][1];
  const stride = align64(byRows ? k.gemm_scratch_bytes(chunk, N, K) : k.gemm_scratch_bytes(M, chunk, K));
  const scratch = e.scratch(stride * parts.length);
  const calls = parts.map(([start, n], t): KernelCall => {
    const s = scratch + t * stride;
    if (byRows) {
      const aPart = a + 4 * (transA ? start : start * lda);
      return ['gemm_f32', n, N, K, aPart, lda, +transA, b, ldb, +transB, c + 4 * start * ldc, ldc, +accumulate, bias, act, alpha, s];
    }
    const bPart = b + 4 * (transB ? start * ldb : start);
    return ['gemm_f32', M, n, K, a, lda, +transA, bPart, ldb, +transB, c + 4 * start, ldc, +accumulate, bias ? bias + 4 * start : 0, act, alpha, s];
  });
  e.parallel(calls);
}

/** c = op(a)·op(b), or c += op(a)·op(b) with `accumulate`. All three are rank-2. */
export function matmul(a: Tensor, b: Tensor, c: Tensor, { transA = false, transB = false, accumulate = false }: MatmulOptions = {}): void {
  refuseAliasing('matmul', { c }, { a, b });
  const bad = () =>
    new Error(`simdnet matmul: shapes do not match: ${describeTensors({ a, b, c })} (transA=${transA}, transB=${transB})`);
  if (a.rank !== 2 || b.rank !== 2 || c.rank !== 2) throw bad();
  const [M, K] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [K2, N] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (K !== K2 || c.shape[0] !== M || c.shape[1] !== N) throw bad();
  gemmRaw(M, N, K, a.ptr, a.shape[1], transA, b.ptr, b.shape[1], transB, c.ptr, N, accumulate);
}

/** Rows of a tensor seen as (rows, lastAxis), or -1 if its last axis is not `cols`. */
function rowsOf(t: Tensor, cols: number): number {
  if (t.rank < 1 || t.shape[t.rank - 1] !== cols) return -1;
  return cols === 0 ? 0 : t.size / cols;
}

/**
 * y = act(x·w + b). x (N,in) — or any rank whose last axis is `in` —, w (in,units), b (units) or null,
 * y (N,units). Bias and activation are applied in the GEMM's epilogue, while the tile is in registers/L1.
 */
export function denseForward(x: Tensor, w: Tensor, b: Tensor | null, y: Tensor, act: ActivationCode = 0, alpha = 0): void {
  refuseAliasing('denseForward', { y }, { x, w, b });
  checkAct('denseForward', act);
  const inUnits = w.shape[0];
  const units = w.shape[1];
  const rows = rowsOf(x, inUnits);
  if (w.rank !== 2 || rows < 0 || rowsOf(y, units) !== rows || (b !== null && b.size !== units)) {
    throw new Error(`simdnet denseForward: shapes do not match: ${describeTensors({ x, w, b, y })}; expected x (N,in), w (in,units), b (units), y (N,units)`);
  }
  gemmRaw(rows, units, inUnits, x.ptr, inUnits, false, w.ptr, units, false, y.ptr, units, false, b ? b.ptr : 0, act, alpha);
}

/**
 * Gradients of y = x·w + b given dy (already multiplied by the activation's derivative):
 * dx = dy·wᵀ (N,in), dw = xᵀ·dy (in,units), db = Σ_rows dy (units). Null outputs are skipped; the others
 * are overwritten, or with `accumulate` dw and db are added to (dx is always overwritten): the GEMM adds
 * in its epilogue, db goes through a temporary.
 */
export function denseBackward(
  x: Tensor, w: Tensor, dy: Tensor, dx: Tensor | null, dw: Tensor | null, db: Tensor | null, accumulate = false,
): void {
  // x is read only for dw (conv2dTranspose passes a stand-in for it when it wants dx alone).
  refuseAliasing('denseBackward', { dx, dw, db }, { x: dw ? x : null, w, dy });
  const inUnits = w.shape[0];
  const units = w.shape[1];
  const rows = rowsOf(x, inUnits);
  if (
    w.rank !== 2 || rows < 0 || rowsOf(dy, units) !== rows ||
    (dx !== null && (dx.size !== x.size || rowsOf(dx, inUnits) !== rows)) ||
    (dw !== null && dw.size !== w.size) || (db !== null && db.size !== units)
  ) {
    throw new Error(`simdnet denseBackward: shapes do not match: ${describeTensors({ x, w, dy, dx, dw, db })}; expected x (N,in), w (in,units), dy (N,units), dx like x, dw like w, db (units)`);
  }
  if (dx) gemmRaw(rows, inUnits, units, dy.ptr, units, false, w.ptr, units, true, dx.ptr, inUnits, false);
  if (dw) gemmRaw(inUnits, units, rows, x.ptr, inUnits, true, dy.ptr, units, false, dw.ptr, units, accumulate);
  if (db) {
    const k = engine().kernels;
    if (!accumulate) k.bias_grad_f32(dy.ptr, db.ptr, rows, units);
    else withTemp(units, (tmp) => {
      k.bias_grad_f32(dy.ptr, tmp, rows, units);
      k.add_f32(db.ptr, db.ptr, tmp, units);
    });
  }
}

