// Layer normalization over the last axis of x seen as (rows, C), forward and backward side by side.
//   forward   mean = Σ x / C,  var = Σ (x − mean)² / C (two passes, as TF.js's moments),  rstd = 1/√(var + eps)
//             x̂ = (x − mean)·rstd,  y = x̂·gamma + beta          (gamma 0: scale 1; beta 0: no shift)
//             mean and rstd (rows) are written for the backward.
//   backward  g = dy·gamma,  dx = rstd·(g − mean(g) − x̂·mean(g·x̂))
//             dgamma += Σ_rows dy·x̂,  dbeta += Σ_rows dy      (accumulated; 0 skips them; dx 0 skips dx)
// Vectorised along C (f32x4, scalar tail).
import { madd, hsum } from './simd';

// Σ of a row of C floats.
@inline function row_sum(p: usize, C: i32): f32 {
  let acc = f32x4.splat(0);
  let c = 0;
  for (; c + 4 <= C; c += 4) acc = f32x4.add(acc, v128.load(p + (<usize>c << 2)));
  let s = hsum(acc);
  for (; c < C; c++) s += load<f32>(p + (<usize>c << 2));
  return s;
}

export function layernorm_forward_f32(x: usize, gamma: usize, beta: usize, y: usize, mean: usize, rstd: usize, rows: i32, C: i32, eps: f32): void {
  const invC = <f32>1 / <f32>C;
  for (let r = 0; r < rows; r++) {
    const row = <usize>r * <usize>C << 2;
    const px = x + row;
    const py = y + row;
    const m = row_sum(px, C) * invC;
    const vm = f32x4.splat(m);
    let acc = f32x4.splat(0);
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const d = f32x4.sub(v128.load(px + (<usize>c << 2)), vm);
      acc = madd(d, d, acc);
    }
    let ss = hsum(acc);
    for (; c < C; c++) {
      const d = load<f32>(px + (<usize>c << 2)) - m;
      ss += d * d;
    }
    const rs = <f32>1 / Mathf.sqrt(ss * invC + eps);
    store<f32>(mean + (<usize>r << 2), m);
    store<f32>(rstd + (<usize>r << 2), rs);
    const vr = f32x4.splat(rs);
    c = 0;
    for (; c + 4 <= C; c += 4) {
      const o = <usize>c << 2;
      let v = f32x4.mul(f32x4.sub(v128.load(px + o), vm), vr);
      if (gamma) v = f32x4.mul(v, v128.load(gamma + o));
      if (beta) v = f32x4.add(v, v128.load(beta + o));
      v128.store(py + o, v);
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      let v = (load<f32>(px + o) - m) * rs;
      if (gamma) v *= load<f32>(gamma + o);
      if (beta) v += load<f32>(beta + o);
      store<f32>(py + o, v);
    }
  }
}

// dx may be dy (each row of dy is read fully before its dx row is written).
export function layernorm_backward_f32(x: usize, gamma: usize, mean: usize, rstd: usize, dy: usize, dx: usize, dgamma: usize, dbeta: usize, rows: i32, C: i32): void {
  const invC = <f32>1 / <f32>C;
  for (let r = 0; r < rows; r++) {
    const row = <usize>r * <usize>C << 2;
    const px = x + row;
    const pdy = dy + row;
    const m = f32x4.splat(load<f32>(mean + (<usize>r << 2)));
    const rs = load<f32>(rstd + (<usize>r << 2));
    const vr = f32x4.splat(rs);
    // Σ g and Σ g·x̂ (g = dy·gamma); the parameter gradients on the way.
    let sg = f32x4.splat(0);
    let sgx = f32x4.splat(0);
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const o = <usize>c << 2;
      const xh = f32x4.mul(f32x4.sub(v128.load(px + o), m), vr);
      const d = v128.load(pdy + o);
      const g = gamma ? f32x4.mul(d, v128.load(gamma + o)) : d;
      sg = f32x4.add(sg, g);
      sgx = madd(g, xh, sgx);
      if (dgamma) v128.store(dgamma + o, madd(d, xh, v128.load(dgamma + o)));
      if (dbeta) v128.store(dbeta + o, f32x4.add(v128.load(dbeta + o), d));
    }
    let sumG = hsum(sg);
    let sumGX = hsum(sgx);
    const ms = load<f32>(mean + (<usize>r << 2));
    for (; c < C; c++) {
      const o = <usize>c << 2;
      const xh = (load<f32>(px + o) - ms) * rs;
      const d = load<f32>(pdy + o);
      const g = gamma ? d * load<f32>(gamma + o) : d;
      sumG += g;
      sumGX += g * xh;
      if (dgamma) store<f32>(dgamma + o, load<f32>(dgamma + o) + d * xh);
      if (dbeta) store<f32>(dbeta + o, load<f32>(dbeta + o) + d);
    }
    if (!dx) continue;
    const pdx = dx + row;
    const mg = f32x4.splat(sumG * invC);
    const mgx = f32x4.splat(sumGX * invC);
    c = 0;
    for (; c + 4 <= C; c += 4) {
      const o = <usize>c << 2;
      const xh = f32x4.mul(f32x4.sub(v128.load(px + o), m), vr);
      const d = v128.load(pdy + o);
      const g = gamma ? f32x4.mul(d, v128.load(gamma + o)) : d;
      v128.store(pdx + o, f32x4.mul(vr, f32x4.sub(f32x4.sub(g, mg), f32x4.mul(xh, mgx))));
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      const xh = (load<f32>(px + o) - ms) * rs;
      const d = load<f32>(pdy + o);
      const g = gamma ? d * load<f32>(gamma + o) : d;
      store<f32>(pdx + o, rs * (g - sumG * invC - xh * sumGX * invC));
    }
  }
}
