// Depthwise conv2d, NHWC: every input channel is convolved with its own depthMultiplier (M) filters.
// x (N,H,W,C), w (KH,KW,C,M) as Keras's depthwise_kernel, y (N,OH,OW,C·M) with output channel c·M + m.
// Vectorised over channels: w's rows (KH,KW) are contiguous in (c, m), so with M = 1 one f32x4 of x, of w
// and of y cover four channels. With M > 1 each image is first expanded to C·M channels (x[c] repeated M
// times) so the same loop runs with C' = C·M; backward sums the expanded gradient back over m.
//
//   y[n,oh,ow,j]  = b[j] + Σ_{kh,kw} x'[n, oh·sh − pt + kh·dh, ow·sw − pl + kw·dw, j] · w[kh,kw,j]
//   dx'[.., j]   += dy[n,oh,ow,j] · w[kh,kw,j]            (scatter over the taps of each output pixel)
//   dw[kh,kw,j]  += dy[n,oh,ow,j] · x'[.., j]
// Taps in the padding are skipped (each output pixel visits only the clipped window), so no padded copy.
import { madd } from './simd';
import { activation_forward_f32, bias_grad_f32 } from './activations';

// Scratch per call: the expanded image (forward), the expanded image and its gradient (backward); none
// when M = 1.
export function depthwise_scratch_bytes(H: i32, W: i32, C: i32, M: i32): i32 {
  return M == 1 ? 64 : 2 * H * W * C * M * 4 + 128;
}

// x' (H,W,C·M) from one image x (H,W,C): each channel repeated M times.
function expand(x: usize, xe: usize, pixels: i32, C: i32, M: i32): void {
  let d = xe;
  let s = x;
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < C; c++) {
      const v = load<f32>(s);
      for (let m = 0; m < M; m++) {
        store<f32>(d, v);
        d += 4;
      }
      s += 4;
    }
  }
}

// First tap index inside [0, size) for output position o: taps k with o·s − p + k·d in range are [k0, k1).
@inline function first_tap(o: i32, s: i32, p: i32, d: i32): i32 {
  const start = o * s - p;
  return start >= 0 ? 0 : (-start + d - 1) / d;
}
@inline function end_tap(o: i32, s: i32, p: i32, d: i32, K: i32, size: i32): i32 {
  const start = o * s - p;
  const e = (size - 1 - start) / d + 1; // taps with start + k·d ≤ size − 1
  return start > size - 1 ? 0 : min(K, e);
}

// y = act(depthwise(x, w) + b); b = 0 means no bias.
export function depthwise_forward_f32(x: usize, w: usize, b: usize, y: usize,
                                      N: i32, H: i32, W: i32, C: i32, M: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                                      sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32,
                                      act: i32, alpha: f32, scratch: usize): void {
  const CM = C * M;
  const pixelBytes = <usize>CM << 2;
  const rowBytes = <usize>W * pixelBytes;
  const tapDown = <usize>dh * rowBytes;
  const tapRight = <usize>dw * pixelBytes;
  const xe = (scratch + 63) & ~<usize>63;
  for (let n = 0; n < N; n++) {
    let image = x + <usize>n * <usize>H * <usize>W * (<usize>C << 2);
    if (M > 1) {
      expand(image, xe, H * W, C, M);
      image = xe;
    }
    let out = y + <usize>n * <usize>OH * <usize>OW * pixelBytes;
    for (let oh = 0; oh < OH; oh++) {
      const kh0 = first_tap(oh, sh, pt, dh);
      const kh1 = end_tap(oh, sh, pt, dh, KH, H);
      const rowOut = out;
      for (let ow = 0; ow < OW; ow++) {
        const kw0 = first_tap(ow, sw, pl, dw);
        const kw1 = end_tap(ow, sw, pl, dw, KW, W);
        // Address of x'[oh·sh − pt + kh0·dh, ow·sw − pl + kw0·dw, 0] and of w[kh0, kw0, 0].
        const x0 = image + <usize>((oh * sh - pt + kh0 * dh) * W + ow * sw - pl + kw0 * dw) * pixelBytes;
        const w0 = w + <usize>(kh0 * KW + kw0) * pixelBytes;
        const wDown = <usize>KW * pixelBytes;
        let c = 0;
        for (; c + 8 <= CM; c += 8) {
          const o = <usize>c << 2;
          let a0 = b ? v128.load(b + o) : f32x4.splat(0);
          let a1 = b ? v128.load(b + o, 16) : f32x4.splat(0);
          let xr = x0 + o;
          let wr = w0 + o;
          for (let kh = kh0; kh < kh1; kh++) {
            let xp = xr;
            let wp = wr;
            for (let kw = kw0; kw < kw1; kw++) {
              a0 = madd(v128.load(xp), v128.load(wp), a0);
              a1 = madd(v128.load(xp, 16), v128.load(wp, 16), a1);
              xp += tapRight;
              wp += pixelBytes;
            }
            xr += tapDown;
            wr += wDown;
          }
          v128.store(out + o, a0);
          v128.store(out + o, a1, 16);
        }
        for (; c + 4 <= CM; c += 4) {
          const o = <usize>c << 2;
          let a0 = b ? v128.load(b + o) : f32x4.splat(0);
          let xr = x0 + o;
          let wr = w0 + o;
          for (let kh = kh0; kh < kh1; kh++) {
            let xp = xr;
            let wp = wr;
            for (let kw = kw0; kw < kw1; kw++) {
              a0 = madd(v128.load(xp), v128.load(wp), a0);
              xp += tapRight;
              wp += pixelBytes;
            }
            xr += tapDown;
            wr += wDown;
          }
          v128.store(out + o, a0);
        }
        for (; c < CM; c++) {
          const o = <usize>c << 2;
          let a: f32 = b ? load<f32>(b + o) : 0;
          let xr = x0 + o;
          let wr = w0 + o;
          for (let kh = kh0; kh < kh1; kh++) {
            let xp = xr;
            let wp = wr;
            for (let kw = kw0; kw < kw1; kw++) {
              a += load<f32>(xp) * load<f32>(wp);
              xp += tapRight;
              wp += pixelBytes;
            }
            xr += tapDown;
            wr += wDown;
          }
          store<f32>(out + o, a);
        }
        out += pixelBytes;
      }
      // The activation once a row is complete, while it is in cache.
      if (act) activation_forward_f32(rowOut, rowOut, OW * CM, act, alpha);
    }
  }
}

// dx (N,H,W,C), dw (KH,KW,C,M), db (C·M) from x, w and dy (N,OH,OW,C·M); a 0 pointer skips that output.
// Outputs are overwritten. dy is already multiplied by the activation's derivative.
export function depthwise_backward_f32(x: usize, w: usize, dy: usize, dx: usize, dwt: usize, db: usize,
                                       N: i32, H: i32, W: i32, C: i32, M: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                                       sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32, scratch: usize): void {
  const CM = C * M;
  const pixelBytes = <usize>CM << 2;
  const rowBytes = <usize>W * pixelBytes;
  const tapDown = <usize>dh * rowBytes;
  const tapRight = <usize>dw * pixelBytes;
  const wDown = <usize>KW * pixelBytes;
  const imageBytes = <usize>H * <usize>W * pixelBytes;
  const xe = (scratch + 63) & ~<usize>63;
  const dxe = xe + imageBytes;
  if (dwt) memory.fill(dwt, 0, <usize>KH * <usize>KW * pixelBytes);
  if (db) bias_grad_f32(dy, db, N * OH * OW, CM);
  if (!dx && !dwt) return;
  for (let n = 0; n < N; n++) {
    const xImage = x + <usize>n * <usize>H * <usize>W * (<usize>C << 2);
    let image = xImage;
    let grad = dx ? xImage - x + dx : 0; // this image of dx (M = 1) or the expanded gradient
    if (M > 1) {
      if (dwt) expand(xImage, xe, H * W, C, M);
      image = xe;
      if (dx) grad = dxe;
    }
    if (dx) memory.fill(grad, 0, imageBytes);
    let g = dy + <usize>n * <usize>OH * <usize>OW * pixelBytes;
    for (let oh = 0; oh < OH; oh++) {
      const kh0 = first_tap(oh, sh, pt, dh);
      const kh1 = end_tap(oh, sh, pt, dh, KH, H);
      for (let ow = 0; ow < OW; ow++) {
        const kw0 = first_tap(ow, sw, pl, dw);
        const kw1 = end_tap(ow, sw, pl, dw, KW, W);
        const at = <usize>((oh * sh - pt + kh0 * dh) * W + ow * sw - pl + kw0 * dw) * pixelBytes;
        const w0 = <usize>(kh0 * KW + kw0) * pixelBytes;
        let c = 0;
        for (; c + 4 <= CM; c += 4) {
          const o = <usize>c << 2;
          const gv = v128.load(g + o);
          let r = at + o;
          let t = w0 + o;
          for (let kh = kh0; kh < kh1; kh++) {
            let p = r;
            let q = t;
            for (let kw = kw0; kw < kw1; kw++) {
              if (dx) v128.store(grad + p, madd(gv, v128.load(w + q), v128.load(grad + p)));
              if (dwt) v128.store(dwt + q, madd(gv, v128.load(image + p), v128.load(dwt + q)));
              p += tapRight;
              q += pixelBytes;
            }
            r += tapDown;
            t += wDown;
          }
        }
        for (; c < CM; c++) {
          const o = <usize>c << 2;
          const gv = load<f32>(g + o);
          let r = at + o;
          let t = w0 + o;
          for (let kh = kh0; kh < kh1; kh++) {
            let p = r;
            let q = t;
            for (let kw = kw0; kw < kw1; kw++) {
              if (dx) store<f32>(grad + p, load<f32>(grad + p) + gv * load<f32>(w + q));
              if (dwt) store<f32>(dwt + q, load<f32>(dwt + q) + gv * load<f32>(image + p));
              p += tapRight;
              q += pixelBytes;
            }
            r += tapDown;
            t += wDown;
          }
        }
        g += pixelBytes;
      }
    }
    if (dx && M > 1) {
      // dx[p, c] = Σ_m dx'[p, c·M + m]
      const out = dx + <usize>n * <usize>H * <usize>W * (<usize>C << 2);
      let s = dxe;
      for (let i = 0; i < H * W * C; i++) {
        let sum: f32 = 0;
        for (let m = 0; m < M; m++) {
          sum += load<f32>(s);
          s += 4;
        }
        store<f32>(out + (<usize>i << 2), sum);
      }
    }
  }
}
