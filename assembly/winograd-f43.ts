// Winograd F(4x4, 3x3): the transforms of one tile, points 0, ±1, ±2, ∞ (Lavin & Gray's matrices). Same
// contract as winograd-f23.ts (assembly/winograd.ts walks the tiles and runs the 36 products per tile), with
//   Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1],
//   G  = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1/24 1/12 ⅙; 1/24 −1/12 ⅙; 0 0 1],
//   Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1].
// Why these points: with 0, ±1, ±2 every entry of Bᵀ and Aᵀ is a small integer (exact in f32, one add or
// madd each, on the data of every tile), and the fractions (⅙, 1/24) sit in G, applied to the filters once
// per weight version, in f64. The ½-scaled set (0, ±1, ±½) moves the same magnitudes around (Aᵀ's 8 becomes
// 1/8, Bᵀ gains ¼ and 5/4...) for no gain in the bound; these points are the ones most libraries ship.
// Measured error against a float64 reference (x, w, dy uniform in [−1, 1], C up to 256): max |Δ| ≤ 8e-6 of
// max |y| (forward), ≤ 5e-6 of max |dx| and ≤ 3e-6 of max |dw|, about 10x F(2,3)'s and 12x under the 1e-4
// the kernel suites hold (tests/kernels/winograd.test.ts).
// A 6x6 transform per channel quad needs 36 v128 values: more than the 16 registers, so each runs as two
// passes through a staging tile `tmp` (36 f32x4, in L1): columns first, then rows.
import { ldk as ld, stk as st, madd } from './simd';
import { activate_runtime_f32x4 } from './activation-math';

const ROW6: usize = 6 * 16; // bytes of one row of a 6x6 staging tile of f32x4

// One (c, f) of U (36 values, `plane` bytes apart) = G g Gᵀ from the 3x3 taps g, in f64.
export function filter_tile_f43(d: usize, plane: usize, g00: f32, g01: f32, g02: f32, g10: f32, g11: f32, g12: f32,
                                g20: f32, g21: f32, g22: f32): void {
  for (let r = 0; r < 6; r++) {
    // Row r of G g (one value per column of g), then times Gᵀ.
    const h0 = g6(g00, g10, g20, r), h1 = g6(g01, g11, g21, r), h2 = g6(g02, g12, g22, r);
    for (let s = 0; s < 6; s++) store<f32>(d + <usize>(6 * r + s) * plane, <f32>g6(h0, h1, h2, s));
  }
}

// Row i of G times (x0, x1, x2).
@inline function g6(x0: f64, x1: f64, x2: f64, i: i32): f64 {
  switch (i) {
    case 0: return x0 / 4;
    case 1: return -(x0 + x1 + x2) / 6;
    case 2: return -(x0 - x1 + x2) / 6;
    case 3: return x0 / 24 + x1 / 12 + x2 / 6;
    case 4: return x0 / 24 - x1 / 12 + x2 / 6;
    default: return x2;
  }
}

// Row a (0..2) of Gᵀ times (u0..u5).
@inline function gt6(u0: f64, u1: f64, u2: f64, u3: f64, u4: f64, u5: f64, a: i32): f64 {
  if (a == 0) return u0 / 4 - (u1 + u2) / 6 + (u3 + u4) / 24;
  if (a == 1) return (u2 - u1) / 6 + (u3 - u4) / 12;
  return (u3 + u4 - u1 - u2) / 6 + u5;
}

// filter_tile_f43 for two filters at once, in the f64x2 lanes (the same arithmetic per lane): the taps g
// hold (f, f + 1), and lane 1 of U goes `fs` bytes after lane 0.
export function filter_tile2_f43(d: usize, plane: usize, fs: usize, g00: v128, g01: v128, g02: v128, g10: v128, g11: v128,
                                 g12: v128, g20: v128, g21: v128, g22: v128): void {
  for (let r = 0; r < 6; r++) {
    const h0 = g6x(g00, g10, g20, r), h1 = g6x(g01, g11, g21, r), h2 = g6x(g02, g12, g22, r);
    for (let s = 0; s < 6; s++) {
      const v = f32x4.demote_f64x2_zero(g6x(h0, h1, h2, s));
      const at = d + <usize>(6 * r + s) * plane;
      v128.store32_lane(at, v, 0);
      v128.store32_lane(at + fs, v, 1);
    }
  }
}

// g6 on both lanes.
@inline function g6x(x0: v128, x1: v128, x2: v128, i: i32): v128 {
  switch (i) {
    case 0: return f64x2.div(x0, f64x2.splat(4));
    case 1: return f64x2.div(f64x2.neg(f64x2.add(f64x2.add(x0, x1), x2)), f64x2.splat(6));
    case 2: return f64x2.div(f64x2.neg(f64x2.add(f64x2.sub(x0, x1), x2)), f64x2.splat(6));
    case 3: return f64x2.add(f64x2.add(f64x2.div(x0, f64x2.splat(24)), f64x2.div(x1, f64x2.splat(12))), f64x2.div(x2, f64x2.splat(6)));
    case 4: return f64x2.add(f64x2.sub(f64x2.div(x0, f64x2.splat(24)), f64x2.div(x1, f64x2.splat(12))), f64x2.div(x2, f64x2.splat(6)));
    default: return x2;
  }
}

// gt6 on both lanes.
@inline function gt6x(u0: v128, u1: v128, u2: v128, u3: v128, u4: v128, u5: v128, a: i32): v128 {
  const six = f64x2.splat(6);
  if (a == 0) {
    return f64x2.add(f64x2.sub(f64x2.div(u0, f64x2.splat(4)), f64x2.div(f64x2.add(u1, u2), six)), f64x2.div(f64x2.add(u3, u4), f64x2.splat(24)));
  }
  if (a == 1) return f64x2.add(f64x2.div(f64x2.sub(u2, u1), six), f64x2.div(f64x2.sub(u3, u4), f64x2.splat(12)));
  return f64x2.add(f64x2.div(f64x2.sub(f64x2.sub(f64x2.add(u3, u4), u1), u2), six), u5);
}

// Two neighbouring (c, f) pairs of dw_tile_f43 at once (s, d: the first), in the f64x2 lanes.
export function dw_tile2_f43(s: usize, plane: usize, d: usize, accumulate: bool): void {
  for (let a = 0; a < 3; a++) {
    const x0 = column_gt6x(s, plane, a), x1 = column_gt6x(s + plane, plane, a), x2 = column_gt6x(s + 2 * plane, plane, a);
    const x3 = column_gt6x(s + 3 * plane, plane, a), x4 = column_gt6x(s + 4 * plane, plane, a), x5 = column_gt6x(s + 5 * plane, plane, a);
    for (let b = 0; b < 3; b++) {
      const d1 = d + <usize>(3 * a + b) * plane;
      let v = f32x4.demote_f64x2_zero(gt6x(x0, x1, x2, x3, x4, x5, b));
      if (accumulate) v = f32x4.add(v, v128.load64_zero(d1));
      v128.store64_lane(d1, v, 0);
    }
  }
}

// Two neighbouring f32 at p as f64x2.
@inline function ld2(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

@inline function column_gt6x(s: usize, plane: usize, a: i32): v128 {
  const p: usize = 6 * plane;
  return gt6x(ld2(s), ld2(s + p), ld2(s + 2 * p), ld2(s + 3 * p), ld2(s + 4 * p), ld2(s + 5 * p), a);
}

// One (c, f) of dw (9 taps, `plane` bytes apart from d) [+]= Gᵀ u G, u the 36 values at s (`plane` apart).
export function dw_tile_f43(s: usize, plane: usize, d: usize, accumulate: bool): void {
  for (let a = 0; a < 3; a++) {
    // Row a of Gᵀ u (one value per column of u), then times G.
    const x0 = column_gt6(s, plane, a), x1 = column_gt6(s + plane, plane, a), x2 = column_gt6(s + 2 * plane, plane, a);
    const x3 = column_gt6(s + 3 * plane, plane, a), x4 = column_gt6(s + 4 * plane, plane, a), x5 = column_gt6(s + 5 * plane, plane, a);
    for (let b = 0; b < 3; b++) {
      const d1 = d + <usize>(3 * a + b) * plane;
      const v = <f32>gt6(x0, x1, x2, x3, x4, x5, b);
      store<f32>(d1, accumulate ? load<f32>(d1) + v : v);
    }
  }
}

@inline function column_gt6(s: usize, plane: usize, a: i32): f64 {
  const p: usize = 6 * plane;
  return gt6(load<f32>(s), load<f32>(s + p), load<f32>(s + 2 * p), load<f32>(s + 3 * p), load<f32>(s + 4 * p),
             load<f32>(s + 5 * p), a);
}

// V[ξ] (at dst + ξ·plane, C channels) = (Bᵀ d B)[ξ] of the 6x6 patch at p (rows rowBytes apart); on an edge
// patch the rows and columns outside the image (not in rowMask, colMask) read as 0: a column outside is 0
// after the column pass, a row outside is a 0 vector in it (never loaded). The same arithmetic on the same
// values as copying the patch with its zeros first (what this did before: 36 loads and stores more per 4
// channels of each edge tile, 5 tiles in 9 of the MNIST convnet's conv2), so the same V.
export function input_tile_f43(p: usize, rowBytes: usize, pixel: usize, rowMask: i32, colMask: i32, C: i32,
                               dst: usize, plane: usize, tmp: usize): void {
  const inside = (rowMask & colMask) == 63;
  const zero = f32x4.splat(0);
  for (let c = 0; c < C; c += 4) {
    const k = min(4, C - c);
    const o = <usize>c << 2;
    if (inside) {
      for (let j = 0; j < 6; j++) bt6(p + o + <usize>j * pixel, rowBytes, k, tmp + (<usize>j << 4), ROW6, 4);
    } else {
      for (let j = 0; j < 6; j++) {
        const d = tmp + (<usize>j << 4);
        if ((colMask >> j) & 1) bt6_rows(p + o + <usize>j * pixel, rowBytes, k, rowMask, d);
        else for (let r = 0; r < 6; r++) v128.store(d + <usize>r * ROW6, zero);
      }
    }
    for (let r = 0; r < 6; r++) bt6(tmp + <usize>r * ROW6, 16, 4, dst + o + <usize>(6 * r) * plane, plane, k);
  }
}

// bt6 down a column of the patch (rows ss apart from s, kl lanes) into the staging tile's column at d, the
// rows outside `mask` read as 0.
@inline function bt6_rows(s: usize, ss: usize, kl: i32, mask: i32, d: usize): void {
  const z = f32x4.splat(0);
  const d0 = mask & 1 ? ld(s, kl) : z, d1 = mask & 2 ? ld(s + ss, kl) : z, d2 = mask & 4 ? ld(s + 2 * ss, kl) : z;
  const d3 = mask & 8 ? ld(s + 3 * ss, kl) : z, d4 = mask & 16 ? ld(s + 4 * ss, kl) : z, d5 = mask & 32 ? ld(s + 5 * ss, kl) : z;
  bt6v(d0, d1, d2, d3, d4, d5, d, ROW6, 4);
}

// Bᵀ times the six vectors at s (ss bytes apart, kl lanes), into d (ds apart, ks lanes).
@inline function bt6(s: usize, ss: usize, kl: i32, d: usize, ds: usize, ks: i32): void {
  bt6v(ld(s, kl), ld(s + ss, kl), ld(s + 2 * ss, kl), ld(s + 3 * ss, kl), ld(s + 4 * ss, kl), ld(s + 5 * ss, kl), d, ds, ks);
}

// Bᵀ times (d0..d5), into d (ds apart, ks lanes).
@inline function bt6v(d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, d: usize, ds: usize, ks: i32): void {
  const four = f32x4.splat(4), m4 = f32x4.splat(-4), m5 = f32x4.splat(-5);
  const t1 = madd(d2, m4, d4), t2 = madd(d1, m4, d3); // d4 − 4d2, d3 − 4d1
  const t3 = f32x4.sub(d4, d2), t4 = f32x4.add(f32x4.sub(d3, d1), f32x4.sub(d3, d1)); // d4 − d2, 2(d3 − d1)
  st(d, ks, madd(d0, four, madd(d2, m5, d4)));
  st(d + ds, ks, f32x4.add(t1, t2));
  st(d + 2 * ds, ks, f32x4.sub(t1, t2));
  st(d + 3 * ds, ks, f32x4.add(t3, t4));
  st(d + 4 * ds, ks, f32x4.sub(t3, t4));
  st(d + 5 * ds, ks, madd(d1, four, madd(d3, m5, d5)));
}

// The tile's outputs y = act(Aᵀ M A + b) from M[ξ] (at src + ξ·plane, F filters), the first `rows` x `cols`
// of the 4x4 stored at out (rows rowBytes apart); b = 0: no bias.
// rowElems ≠ 0 (a conv → 2x2/2 max pool, src/model/conv-pool.ts): rows x cols of the tile's 2x2 pooled
// outputs instead — the pool's windows lie whole in a tile, tiles starting at even rows and columns — at out
// (pooled rows rowBytes apart), and (am ≠ 0) each one's winner at am (the same offsets): its element index into the
// conv's output, `cell` being that of the tile's first output and filter 0 of this call, rows rowElems apart,
// pixels FF. The same values as the conv's outputs then the pool kernel (max4_argmax's order and arithmetic).
export function output_tile_f43(src: usize, plane: usize, b: usize, out: usize, rowBytes: usize, pixel: usize, F: i32,
                                rows: i32, cols: i32, act: i32, alpha: f32, tmp: usize,
                                am: usize, cell: i32, rowElems: i32, FF: i32): void {
  const zero = f32x4.splat(0);
  const y4 = tmp + 6 * ROW6; // one output row before the activation, or (pooled) the tile's 4x4 outputs after it
  const pooled = rowElems != 0; // (am may be 0 then: predict keeps no winners)
  const outRows = pooled ? 2 * rows : rows, outCols = pooled ? 2 * cols : cols;
  for (let f = 0; f < F; f += 4) {
    const k = min(4, F - f);
    const o = <usize>f << 2;
    for (let j = 0; j < 6; j++) at6(src + o + <usize>j * plane, 6 * plane, k, tmp + (<usize>j << 4), ROW6, zero);
    const bias = b ? ld(b + o, k) : zero;
    for (let i = 0; i < outRows; i++) {
      const row = pooled ? y4 + (<usize>i << 6) : y4;
      at6(tmp + <usize>i * ROW6, 16, 4, row, 16, bias);
      // One activation in the loop (not one per output): each copy of it is a few hundred bytes of wasm.
      // Pooled: in place, with pixel 16 and k 4.
      const d = pooled ? row : out + <usize>i * rowBytes + o;
      const dp: usize = pooled ? 16 : pixel, kd = pooled ? 4 : k;
      for (let q = 0; q < outCols; q++) st(d + <usize>q * dp, kd, activate_runtime_f32x4(v128.load(row + (<usize>q << 4)), act, alpha));
    }
    for (let pi = 0; pooled && pi < rows; pi++) {
      for (let pj = 0; pj < cols; pj++) {
        const c = y4 + (<usize>(8 * pi + 2 * pj) << 4); // the window's first cell
        const i0 = i32x4.add(i32x4.splat(cell + 2 * pi * rowElems + 2 * pj * FF + f), i32x4(0, 1, 2, 3));
        let best = f32x4.splat(-Infinity);
        let at = i0; // stays the first cell when nothing beats -inf
        let v = v128.load(c);
        at = v128.bitselect(i0, at, f32x4.gt(v, best)); best = f32x4.pmax(best, v);
        v = v128.load(c, 16);
        at = v128.bitselect(i32x4.add(i0, i32x4.splat(FF)), at, f32x4.gt(v, best)); best = f32x4.pmax(best, v);
        v = v128.load(c, 64);
        at = v128.bitselect(i32x4.add(i0, i32x4.splat(rowElems)), at, f32x4.gt(v, best)); best = f32x4.pmax(best, v);
        v = v128.load(c, 80);
        at = v128.bitselect(i32x4.add(i0, i32x4.splat(rowElems + FF)), at, f32x4.gt(v, best)); best = f32x4.pmax(best, v);
        const d = <usize>pi * rowBytes + <usize>pj * pixel + o;
        st(out + d, k, best);
        if (am) st(am + d, k, at); // indices: their bits stored unchanged
      }
    }
  }
}

// Aᵀ times the six vectors at s (ss apart, kl lanes), plus bias: four vectors into d (ds apart).
@inline function at6(s: usize, ss: usize, kl: i32, d: usize, ds: usize, bias: v128): void {
  const m0 = ld(s, kl), m1 = ld(s + ss, kl), m2 = ld(s + 2 * ss, kl), m3 = ld(s + 3 * ss, kl);
  const m4 = ld(s + 4 * ss, kl), m5 = ld(s + 5 * ss, kl);
  const a = f32x4.add(m1, m2), b = f32x4.sub(m1, m2), c = f32x4.add(m3, m4), e = f32x4.sub(m3, m4);
  v128.store(d, f32x4.add(f32x4.add(f32x4.add(m0, a), c), bias));
  v128.store(d + ds, f32x4.add(madd(e, f32x4.splat(2), b), bias));
  v128.store(d + 2 * ds, f32x4.add(madd(c, f32x4.splat(4), a), bias));
  v128.store(d + 3 * ds, f32x4.add(f32x4.add(madd(e, f32x4.splat(8), b), m5), bias));
}

// Ŷ[ξ] (at dst + ξ·plane) = (A dy Aᵀ)[ξ] from the tile's `rows` x `cols` of dy at src (0 beyond), masked by
// y > 0 where yq ≠ 0 (y at the same place); db ≠ 0: db[f] += the tile's sum. The 4x4 of dy is staged in the
// second staging tile, A dy (6x4) in the first.
// am ≠ 0 (a conv → 2x2/2 max pool): src, yq and am are the pool's gradient, output and winners (rows x cols
// windows, as output_tile_f43 writes them with the same cell and rowElems; F per pixel): dy is the pooled
// gradient at each window's winner, 0 elsewhere — the same Ŷ and db, bit for bit, as the pool's backward then
// this on its dy.
export function dy_tile_f43(src: usize, yq: usize, rowBytes: usize, pixel: usize, rows: i32, cols: i32, F: i32,
                            dst: usize, plane: usize, db: usize, tmp: usize, am: usize, cell: i32, rowElems: i32): void {
  const zero = f32x4.splat(0);
  const g = tmp + 6 * ROW6;
  for (let f = 0; f < F; f += 4) {
    const k = min(4, F - f);
    const o = <usize>f << 2;
    if (am) {
      for (let j = 0; j < 16; j++) v128.store(g + (<usize>j << 4), zero);
      for (let pi = 0; pi < rows; pi++) {
        for (let pj = 0; pj < cols; pj++) {
          const at = <usize>pi * rowBytes + <usize>pj * pixel + o;
          let v = ld(src + at, k);
          if (yq) v = v128.and(v, f32x4.gt(ld(yq + at, k), zero));
          const w = ld(am + at, k);
          const i0 = i32x4.add(i32x4.splat(cell + 2 * pi * rowElems + 2 * pj * F + f), i32x4(0, 1, 2, 3));
          const c = g + (<usize>(8 * pi + 2 * pj) << 4); // the window's first cell
          v128.store(c, v128.and(v, i32x4.eq(w, i0)));
          v128.store(c, v128.and(v, i32x4.eq(w, i32x4.add(i0, i32x4.splat(F)))), 16);
          v128.store(c, v128.and(v, i32x4.eq(w, i32x4.add(i0, i32x4.splat(rowElems)))), 64);
          v128.store(c, v128.and(v, i32x4.eq(w, i32x4.add(i0, i32x4.splat(rowElems + F)))), 80);
        }
      }
    } else {
      for (let r = 0; r < 4; r++) {
        for (let s = 0; s < 4; s++) {
          let v = zero;
          if (r < rows && s < cols) {
            const at = <usize>r * rowBytes + <usize>s * pixel + o;
            v = ld(src + at, k);
            if (yq) v = v128.and(v, f32x4.gt(ld(yq + at, k), zero));
          }
          v128.store(g + (<usize>(4 * r + s) << 4), v);
        }
      }
    }
    if (db) {
      // Cell by cell in order (the zeros add nothing): the same sums whichever way dy came.
      let sum = zero;
      for (let j = 0; j < 16; j++) sum = f32x4.add(sum, v128.load(g + (<usize>j << 4)));
      st(db + o, k, f32x4.add(ld(db + o, k), sum));
    }
    for (let j = 0; j < 4; j++) a6(g + (<usize>j << 4), 64, tmp + (<usize>j << 4), 64, 4);
    for (let r = 0; r < 6; r++) a6(tmp + (<usize>r << 6), 16, dst + o + <usize>(6 * r) * plane, plane, k);
  }
}

// A times the four vectors at s (ss apart), into d (ds apart, ks lanes): (a0, Σa, a0 − a1 + a2 − a3,
// a0 + 2a1 + 4a2 + 8a3, a0 − 2a1 + 4a2 − 8a3, a3). Inlined, as are b6, bt6 and at6: with the lane counts
// constant at most call sites the loads and stores need no tail branch (a6 and b6: the convnet's training
// step 0.955x the time, for 251 B of the bundle's gzip; bt6 and at6 then 0.95–0.975x, for 219 B).
@inline function a6(s: usize, ss: usize, d: usize, ds: usize, ks: i32): void {
  const a0 = v128.load(s), a1 = v128.load(s + ss), a2 = v128.load(s + 2 * ss), a3 = v128.load(s + 3 * ss);
  const p = f32x4.add(a0, a2), q = f32x4.add(a1, a3);
  const four = f32x4.splat(4);
  const u = madd(a2, four, a0), w = madd(a3, four, a1);
  const w2 = f32x4.add(w, w);
  st(d, ks, a0);
  st(d + ds, ks, f32x4.add(p, q));
  st(d + 2 * ds, ks, f32x4.sub(p, q));
  st(d + 3 * ds, ks, f32x4.add(u, w2));
  st(d + 4 * ds, ks, f32x4.sub(u, w2));
  st(d + 5 * ds, ks, a3);
}

// The tile's dx patch B dV Bᵀ (6x6, from dV[ξ] at src + ξ·plane) added into dx at p: the rows in rowMask,
// the columns in colMask (the rest lie outside the image).
export function dx_tile_f43(src: usize, plane: usize, C: i32, p: usize, rowBytes: usize, pixel: usize,
                            rowMask: i32, colMask: i32, tmp: usize): void {
  for (let c = 0; c < C; c += 4) {
    const k = min(4, C - c);
    const o = <usize>c << 2;
    for (let j = 0; j < 6; j++) b6(src + o + <usize>j * plane, 6 * plane, k, tmp + (<usize>j << 4), ROW6, 4, false, 63);
    for (let i = 0; i < 6; i++) {
      if ((rowMask >> i) & 1) b6(tmp + <usize>i * ROW6, 16, 4, p + <usize>i * rowBytes + o, pixel, k, true, colMask);
    }
  }
}

// B times the six vectors at s (ss apart, kl lanes): (4v0, 4(v2 − v1) + 2(v4 − v3) + 4v5,
// −5v0 − 4(v1 + v2) − (v3 + v4), (v1 − v2) − 2(v4 − v3) − 5v5, v0 + v1 + v2 + v3 + v4, v5), stored (or
// added, `add`) into d (ds apart, ks lanes) where `mask` has the bit.
@inline function b6(s: usize, ss: usize, kl: i32, d: usize, ds: usize, ks: i32, add: bool, mask: i32): void {
  const v0 = ld(s, kl), v1 = ld(s + ss, kl), v2 = ld(s + 2 * ss, kl), v3 = ld(s + 3 * ss, kl);
  const v4 = ld(s + 4 * ss, kl), v5 = ld(s + 5 * ss, kl);
  const two = f32x4.splat(2), four = f32x4.splat(4), five = f32x4.splat(5);
  const p = f32x4.add(v1, v2), q = f32x4.sub(v2, v1), r = f32x4.add(v3, v4), w = f32x4.sub(v4, v3);
  if (mask & 1) put(d, ks, f32x4.mul(v0, four), add);
  if (mask & 2) put(d + ds, ks, madd(q, four, madd(w, two, f32x4.mul(v5, four))), add);
  if (mask & 4) put(d + 2 * ds, ks, f32x4.neg(madd(v0, five, madd(p, four, r))), add);
  if (mask & 8) put(d + 3 * ds, ks, f32x4.neg(madd(w, two, madd(v5, five, q))), add);
  if (mask & 16) put(d + 4 * ds, ks, f32x4.add(f32x4.add(v0, p), r), add);
  if (mask & 32) put(d + 5 * ds, ks, v5, add);
}

@inline function put(d: usize, k: i32, v: v128, add: bool): void {
  st(d, k, add ? f32x4.add(ld(d, k), v) : v);
}
