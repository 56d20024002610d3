// Winograd F(2x2, 3x3): the transforms of one tile (Lavin & Gray 2015), points 0, ±1, ∞. assembly/winograd.ts
// walks the tiles and runs the products; these functions only turn one tile's data into its 16 transformed
// positions ξ (or back), four channels at a time (a tail of k < 4 lanes through ldk/stk). Every matrix entry
// is 0, ±1 or ±½: the data transforms are adds only, exact up to one rounding per add.
//   y = Aᵀ [U ⊙ V] A,  U = G g Gᵀ,  V = Bᵀ d B,  with
//   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],  G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],  Aᵀ = [1 1 1 0; 0 1 −1 −1].
// Masks: bit j of rowMask/colMask set when row/column j of the 4x4 input patch lies in the image.
import { ldk as ld, stk as st } from './simd';
import { activate_runtime_f32x4 } from './activation-math';

// One (c, f) of U (16 values, `plane` bytes apart) from the filter's 3x3 taps g.
export function filter_tile_f23(d: usize, plane: usize, g00: f32, g01: f32, g02: f32, g10: f32, g11: f32, g12: f32,
                                g20: f32, g21: f32, g22: f32): void {
  const a0 = g00 + g20, a1 = g01 + g21, a2 = g02 + g22;
  // Rows of G g (r0 = g0, r1 = ½(g0 + g1 + g2), r2 = ½(g0 − g1 + g2), r3 = g2), each times Gᵀ.
  filter_row(d, plane, g00, g01, g02);
  filter_row(d + 4 * plane, plane, <f32>0.5 * (a0 + g10), <f32>0.5 * (a1 + g11), <f32>0.5 * (a2 + g12));
  filter_row(d + 8 * plane, plane, <f32>0.5 * (a0 - g10), <f32>0.5 * (a1 - g11), <f32>0.5 * (a2 - g12));
  filter_row(d + 12 * plane, plane, g20, g21, g22);
}

@inline function filter_row(d: usize, plane: usize, x0: f32, x1: f32, x2: f32): void {
  const s = x0 + x2;
  store<f32>(d, x0);
  store<f32>(d + plane, <f32>0.5 * (s + x1));
  store<f32>(d + 2 * plane, <f32>0.5 * (s - x1));
  store<f32>(d + 3 * plane, x2);
}

// V[ξ] (at dst + ξ·plane, C channels) = (Bᵀ d B)[ξ] of the 4x4 patch at p (rows rowBytes apart).
export function input_tile_f23(p: usize, rowBytes: usize, pixel: usize, rowMask: i32, colMask: i32, C: i32,
                               dst: usize, plane: usize, tmp: usize): void {
  const inside = (rowMask & colMask) == 15;
  for (let c = 0; c < C; c += 4) {
    const k = min(4, C - c);
    const o = <usize>c << 2;
    let e00: v128, e01: v128, e02: v128, e03: v128, e10: v128, e11: v128, e12: v128, e13: v128;
    let e20: v128, e21: v128, e22: v128, e23: v128, e30: v128, e31: v128, e32: v128, e33: v128;
    if (inside) {
      e00 = ld(p + o, k); e01 = ld(p + pixel + o, k); e02 = ld(p + 2 * pixel + o, k); e03 = ld(p + 3 * pixel + o, k);
      const p1 = p + rowBytes, p2 = p + 2 * rowBytes, p3 = p + 3 * rowBytes;
      e10 = ld(p1 + o, k); e11 = ld(p1 + pixel + o, k); e12 = ld(p1 + 2 * pixel + o, k); e13 = ld(p1 + 3 * pixel + o, k);
      e20 = ld(p2 + o, k); e21 = ld(p2 + pixel + o, k); e22 = ld(p2 + 2 * pixel + o, k); e23 = ld(p2 + 3 * pixel + o, k);
      e30 = ld(p3 + o, k); e31 = ld(p3 + pixel + o, k); e32 = ld(p3 + 2 * pixel + o, k); e33 = ld(p3 + 3 * pixel + o, k);
    } else {
      e00 = at(p, 0, 0, rowBytes, pixel, o, k, rowMask, colMask); e01 = at(p, 0, 1, rowBytes, pixel, o, k, rowMask, colMask);
      e02 = at(p, 0, 2, rowBytes, pixel, o, k, rowMask, colMask); e03 = at(p, 0, 3, rowBytes, pixel, o, k, rowMask, colMask);
      e10 = at(p, 1, 0, rowBytes, pixel, o, k, rowMask, colMask); e11 = at(p, 1, 1, rowBytes, pixel, o, k, rowMask, colMask);
      e12 = at(p, 1, 2, rowBytes, pixel, o, k, rowMask, colMask); e13 = at(p, 1, 3, rowBytes, pixel, o, k, rowMask, colMask);
      e20 = at(p, 2, 0, rowBytes, pixel, o, k, rowMask, colMask); e21 = at(p, 2, 1, rowBytes, pixel, o, k, rowMask, colMask);
      e22 = at(p, 2, 2, rowBytes, pixel, o, k, rowMask, colMask); e23 = at(p, 2, 3, rowBytes, pixel, o, k, rowMask, colMask);
      e30 = at(p, 3, 0, rowBytes, pixel, o, k, rowMask, colMask); e31 = at(p, 3, 1, rowBytes, pixel, o, k, rowMask, colMask);
      e32 = at(p, 3, 2, rowBytes, pixel, o, k, rowMask, colMask); e33 = at(p, 3, 3, rowBytes, pixel, o, k, rowMask, colMask);
    }
    // Rows of Bᵀ d: column by column j, rows combined (d0 − d2, d1 + d2, d2 − d1, d1 − d3).
    const r00 = f32x4.sub(e00, e20), r01 = f32x4.sub(e01, e21), r02 = f32x4.sub(e02, e22), r03 = f32x4.sub(e03, e23);
    const r10 = f32x4.add(e10, e20), r11 = f32x4.add(e11, e21), r12 = f32x4.add(e12, e22), r13 = f32x4.add(e13, e23);
    const r20 = f32x4.sub(e20, e10), r21 = f32x4.sub(e21, e11), r22 = f32x4.sub(e22, e12), r23 = f32x4.sub(e23, e13);
    const r30 = f32x4.sub(e10, e30), r31 = f32x4.sub(e11, e31), r32 = f32x4.sub(e12, e32), r33 = f32x4.sub(e13, e33);
    const d = dst + o;
    input_row(d, plane, k, r00, r01, r02, r03);
    input_row(d + 4 * plane, plane, k, r10, r11, r12, r13);
    input_row(d + 8 * plane, plane, k, r20, r21, r22, r23);
    input_row(d + 12 * plane, plane, k, r30, r31, r32, r33);
  }
}

// Element (r, s) of the patch, 0 where its row or column is outside the image.
@inline function at(p: usize, r: i32, s: i32, rowBytes: usize, pixel: usize, o: usize, k: i32, rowMask: i32, colMask: i32): v128 {
  if (((rowMask >> r) & (colMask >> s) & 1) == 0) return f32x4.splat(0);
  return ld(p + <usize>r * rowBytes + <usize>s * pixel + o, k);
}

// One row of (Bᵀ d) B from one row (x0..x3) of Bᵀ d: four ξ, `plane` bytes apart.
@inline function input_row(d: usize, plane: usize, k: i32, x0: v128, x1: v128, x2: v128, x3: v128): void {
  st(d, k, f32x4.sub(x0, x2));
  st(d + plane, k, f32x4.add(x1, x2));
  st(d + 2 * plane, k, f32x4.sub(x2, x1));
  st(d + 3 * plane, k, f32x4.sub(x1, x3));
}

// The tile's outputs y = act(Aᵀ M A + b) from M[ξ] (at src + ξ·plane, F filters), the first `rows` x `cols`
// of the 2x2 stored at out (rows rowBytes apart); b = 0: no bias.
export function output_tile_f23(src: usize, plane: usize, b: usize, out: usize, rowBytes: usize, pixel: usize, F: i32,
                                rows: i32, cols: i32, act: i32, alpha: f32, tmp: usize): void {
  for (let f = 0; f < F; f += 4) {
    const k = min(4, F - f);
    const o = <usize>f << 2;
    const s = src + o;
    // Aᵀ M: rows q0 = m0 + m1 + m2, q1 = m1 − m2 − m3 (per column j).
    const m00 = ld(s, k), m01 = ld(s + plane, k), m02 = ld(s + 2 * plane, k), m03 = ld(s + 3 * plane, k);
    const m10 = ld(s + 4 * plane, k), m11 = ld(s + 5 * plane, k), m12 = ld(s + 6 * plane, k), m13 = ld(s + 7 * plane, k);
    const m20 = ld(s + 8 * plane, k), m21 = ld(s + 9 * plane, k), m22 = ld(s + 10 * plane, k), m23 = ld(s + 11 * plane, k);
    const m30 = ld(s + 12 * plane, k), m31 = ld(s + 13 * plane, k), m32 = ld(s + 14 * plane, k), m33 = ld(s + 15 * plane, k);
    const q00 = f32x4.add(f32x4.add(m00, m10), m20), q01 = f32x4.add(f32x4.add(m01, m11), m21);
    const q02 = f32x4.add(f32x4.add(m02, m12), m22), q03 = f32x4.add(f32x4.add(m03, m13), m23);
    const q10 = f32x4.sub(f32x4.sub(m10, m20), m30), q11 = f32x4.sub(f32x4.sub(m11, m21), m31);
    const q12 = f32x4.sub(f32x4.sub(m12, m22), m32), q13 = f32x4.sub(f32x4.sub(m13, m23), m33);
    const bias = b ? ld(b + o, k) : f32x4.splat(0);
    // The 2x2 before the activation, staged so that one activation in a loop stores them (each inlined copy
    // of it is a few hundred bytes of wasm).
    v128.store(tmp, f32x4.add(f32x4.add(f32x4.add(q00, q01), q02), bias));
    v128.store(tmp + 16, f32x4.add(f32x4.sub(f32x4.sub(q01, q02), q03), bias));
    v128.store(tmp + 32, f32x4.add(f32x4.add(f32x4.add(q10, q11), q12), bias));
    v128.store(tmp + 48, f32x4.add(f32x4.sub(f32x4.sub(q11, q12), q13), bias));
    for (let r = 0; r < rows; r++) {
      for (let q = 0; q < cols; q++) {
        st(out + <usize>r * rowBytes + <usize>q * pixel + o, k, activate_runtime_f32x4(v128.load(tmp + (<usize>(2 * r + q) << 4)), act, alpha));
      }
    }
  }
}

// Ŷ[ξ] (at dst + ξ·plane) = (A dy Aᵀ)[ξ], A = [1 0; 1 1; 1 −1; 0 −1], from the tile's `rows` x `cols` of dy
// at src (0 beyond), masked by y > 0 where yq ≠ 0 (y at the same place); db ≠ 0: db[f] += the tile's sum.
export function dy_tile_f23(src: usize, yq: usize, rowBytes: usize, pixel: usize, rows: i32, cols: i32, F: i32,
                            dst: usize, plane: usize, db: usize, tmp: usize): void {
  const right = cols > 1, down = rows > 1;
  const zero = f32x4.splat(0);
  for (let f = 0; f < F; f += 4) {
    const k = min(4, F - f);
    const o = <usize>f << 2;
    let a = ld(src + o, k);
    let b = right ? ld(src + pixel + o, k) : zero;
    let c = down ? ld(src + rowBytes + o, k) : zero;
    let d = down && right ? ld(src + rowBytes + pixel + o, k) : zero;
    if (yq) {
      const q = yq + o;
      a = v128.and(a, f32x4.gt(ld(q, k), zero));
      if (right) b = v128.and(b, f32x4.gt(ld(q + pixel, k), zero));
      if (down) c = v128.and(c, f32x4.gt(ld(q + rowBytes, k), zero));
      if (down && right) d = v128.and(d, f32x4.gt(ld(q + rowBytes + pixel, k), zero));
    }
    if (db) st(db + o, k, f32x4.add(ld(db + o, k), f32x4.add(f32x4.add(a, b), f32x4.add(c, d))));
    // Rows of A dy: r0 = (a, b), r1 = (a + c, b + d), r2 = (a − c, b − d), r3 = (−c, −d); then each row
    // (p, q) → (p, p + q, p − q, −q).
    const s0 = f32x4.add(a, c), s1 = f32x4.add(b, d), e0 = f32x4.sub(a, c), e1 = f32x4.sub(b, d);
    const dd = dst + o;
    yhat_row(dd, plane, k, a, b);
    yhat_row(dd + 4 * plane, plane, k, s0, s1);
    yhat_row(dd + 8 * plane, plane, k, e0, e1);
    yhat_row(dd + 12 * plane, plane, k, f32x4.neg(c), f32x4.neg(d));
  }
}

function yhat_row(d: usize, plane: usize, k: i32, p: v128, q: v128): void {
  st(d, k, p);
  st(d + plane, k, f32x4.add(p, q));
  st(d + 2 * plane, k, f32x4.sub(p, q));
  st(d + 3 * plane, k, f32x4.neg(q));
}

// The tile's dx patch B dV Bᵀ (4x4, from dV[ξ] at src + ξ·plane) added into dx at p (outside parts dropped).
// Bᵀ's columns give: q0 = p0, q1 = p1 − p2 + p3, q2 = p1 + p2 − p0, q3 = −p3.
export function dx_tile_f23(src: usize, plane: usize, C: i32, p: usize, rowBytes: usize, pixel: usize,
                            rowMask: i32, colMask: i32, tmp: usize): void {
  for (let c = 0; c < C; c += 4) {
    const k = min(4, C - c);
    const o = <usize>c << 2;
    const s = src + o;
    const m00 = ld(s, k), m01 = ld(s + plane, k), m02 = ld(s + 2 * plane, k), m03 = ld(s + 3 * plane, k);
    const m10 = ld(s + 4 * plane, k), m11 = ld(s + 5 * plane, k), m12 = ld(s + 6 * plane, k), m13 = ld(s + 7 * plane, k);
    const m20 = ld(s + 8 * plane, k), m21 = ld(s + 9 * plane, k), m22 = ld(s + 10 * plane, k), m23 = ld(s + 11 * plane, k);
    const m30 = ld(s + 12 * plane, k), m31 = ld(s + 13 * plane, k), m32 = ld(s + 14 * plane, k), m33 = ld(s + 15 * plane, k);
    // Rows of B dV: r0 = m0, r1 = m1 − m2 + m3, r2 = m1 + m2 − m0, r3 = −m3 (per column).
    if (rowMask & 1) scatter_row(p + o, pixel, k, colMask, m00, m01, m02, m03);
    if (rowMask & 2) {
      scatter_row(p + rowBytes + o, pixel, k, colMask, f32x4.add(f32x4.sub(m10, m20), m30), f32x4.add(f32x4.sub(m11, m21), m31),
                  f32x4.add(f32x4.sub(m12, m22), m32), f32x4.add(f32x4.sub(m13, m23), m33));
    }
    if (rowMask & 4) {
      scatter_row(p + 2 * rowBytes + o, pixel, k, colMask, f32x4.sub(f32x4.add(m10, m20), m00), f32x4.sub(f32x4.add(m11, m21), m01),
                  f32x4.sub(f32x4.add(m12, m22), m02), f32x4.sub(f32x4.add(m13, m23), m03));
    }
    if (rowMask & 8) scatter_row(p + 3 * rowBytes + o, pixel, k, colMask, f32x4.neg(m30), f32x4.neg(m31), f32x4.neg(m32), f32x4.neg(m33));
  }
}

// One patch row (x0..x3 of B dV) times Bᵀ: (x0, x1 − x2 + x3, x1 + x2 − x0, −x3), added at the columns in `cols`.
function scatter_row(d: usize, pixel: usize, k: i32, cols: i32, x0: v128, x1: v128, x2: v128, x3: v128): void {
  if (cols & 1) st(d, k, f32x4.add(ld(d, k), x0));
  if (cols & 2) st(d + pixel, k, f32x4.add(ld(d + pixel, k), f32x4.add(f32x4.sub(x1, x2), x3)));
  if (cols & 4) st(d + 2 * pixel, k, f32x4.add(ld(d + 2 * pixel, k), f32x4.sub(f32x4.add(x1, x2), x0)));
  if (cols & 8) st(d + 3 * pixel, k, f32x4.sub(ld(d + 3 * pixel, k), x3));
}

// One (c, f) of dw (9 taps, `plane` bytes apart from d) [+]= Gᵀ u G, u the 16 values at s (`plane` apart).
export function dw_tile_f23(s: usize, plane: usize, d: usize, accumulate: bool): void {
  // Gᵀ u, column j of u at a time (r0 = u0 + ½(u1 + u2), r1 = ½(u1 − u2), r2 = ½(u1 + u2) + u3), then each
  // row of that times G, the same combination.
  for (let r = 0; r < 3; r++) {
    const x0 = gt_f23(s, plane, r), x1 = gt_f23(s + plane, plane, r);
    const x2 = gt_f23(s + 2 * plane, plane, r), x3 = gt_f23(s + 3 * plane, plane, r);
    const h = <f32>0.5 * (x1 + x2);
    dw_store(d + <usize>(3 * r) * plane, accumulate, x0 + h);
    dw_store(d + <usize>(3 * r + 1) * plane, accumulate, <f32>0.5 * (x1 - x2));
    dw_store(d + <usize>(3 * r + 2) * plane, accumulate, h + x3);
  }
}

// Row r of Gᵀ u in the column at s (u0..u3 four `plane`s apart).
@inline function gt_f23(s: usize, plane: usize, r: i32): f32 {
  const u0 = load<f32>(s), u1 = load<f32>(s + 4 * plane), u2 = load<f32>(s + 8 * plane), u3 = load<f32>(s + 12 * plane);
  return r == 0 ? u0 + <f32>0.5 * (u1 + u2) : r == 1 ? <f32>0.5 * (u1 - u2) : <f32>0.5 * (u1 + u2) + u3;
}

@inline export function dw_store(d: usize, accumulate: bool, v: f32): void {
  store<f32>(d, accumulate ? load<f32>(d) + v : v);
}
