// Depthwise conv2d, NHWC: every input channel is convolved with its own depthMultiplier (M) filters.
// x (N,H,W,C), w (KH,KW,C,M) as Keras's depthwise_kernel, y (N,OH,OW,C·M) with output channel c·M + m.
// Vectorised over channels: w's rows (KH,KW) are contiguous in (c, m), so with M = 1 one f32x4 of x, of w
// and of y cover four channels. With M > 1 each image is first expanded to C·M channels (x[c] repeated M
// times) so the same loop runs with C' = C·M; backward sums the expanded gradient back over m.
//
//   y[n,oh,ow,j]  = b[j] + Σ_{kh,kw} x'[n, oh·sh − pt + kh·dh, ow·sw − pl + kw·dw, j] · w[kh,kw,j]
//   dx'[.., j]   += dy[n,oh,ow,j] · w[kh,kw,j]            (stride 1: a depthwise conv of dy, kernel flipped)
//   dw[kh,kw,j]  += dy[n,oh,ow,j] · x'[.., j]
// 3x3 kernels (MobileNet's) have their own loops: interior runs of 4 output pixels with no bounds checks,
// border pixels from 9 tap addresses, taps in the padding reading a zeroed row. Other kernels visit each
// output pixel's clipped window. No padded copy of x either way.
import { madd } from './simd';
import { activation_forward_f32, bias_grad_f32 } from './activations';
import { ACT_RELU6 } from './activation-math';

// Scratch per call, each region 64-byte aligned: a zeroed row of max(W, OW) pixels (kernel rows and columns
// in the padding read it), the flipped kernel (backward's dx), and when M > 1 the expanded image and its
// gradient.
export function depthwise_scratch_bytes(H: i32, W: i32, C: i32, M: i32, KH: i32, KW: i32, OW: i32): i32 {
  const CM = C * M;
  const row = (max(W, OW) * CM * 4 + 63) & ~63;
  const flipped = (KH * KW * CM * 4 + 63) & ~63;
  return 64 + row + flipped + (M == 1 ? 0 : 2 * H * W * CM * 4);
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

// One output pixel at (oh, ow) over the taps inside the image (any kernel size): the border pixels of the
// 3x3 path and every pixel of other kernels. out points at the pixel's C·M outputs.
function pixel_any(image: usize, w: usize, b: usize, out: usize, oh: i32, ow: i32,
                   H: i32, W: i32, CM: i32, KH: i32, KW: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32): void {
  const pixelBytes = <usize>CM << 2;
  const tapDown = <usize>dh * <usize>W * pixelBytes;
  const tapRight = <usize>dw * pixelBytes;
  const wDown = <usize>KW * pixelBytes;
  const kh0 = first_tap(oh, sh, pt, dh);
  const kh1 = end_tap(oh, sh, pt, dh, KH, H);
  const kw0 = first_tap(ow, sw, pl, dw);
  const kw1 = end_tap(ow, sw, pl, dw, KW, W);
  // Address of x'[oh·sh − pt + kh0·dh, ow·sw − pl + kw0·dw, 0] and of w[kh0, kw0, 0].
  const x0 = image + <usize>((oh * sh - pt + kh0 * dh) * W + ow * sw - pl + kw0 * dw) * pixelBytes;
  const w0 = w + <usize>(kh0 * KW + kw0) * pixelBytes;
  let c = 0;
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
}

// A run of `count` output pixels of a 3x3 kernel whose taps all lie inside the image's columns, so it needs
// no bounds checks: r0, r1, r2 point at the first pixel's top-left tap in kernel rows 0, 1, 2 (a row above
// or below the image points into a zeroed row instead). sx: bytes between the taps of neighbouring output
// pixels (stride), tr: between neighbouring taps (dilation).
// Four output pixels at a time: for each group of 4 channels the 3 weights of a kernel row are loaded once
// for the 4 pixels (4 accumulators, 12 products per row), and when the stride is the dilation or twice it
// the pixels share columns (6 or 9 loads per row instead of 12). Pixel-major (all channels of 4 pixels,
// then the next 4): each pixel's channels are one contiguous span. A channel-major sweep (the weights of a
// group kept in registers over the whole row) was no faster at 32 channels and 1.4x slower at 512, where
// pixels 2 KiB apart map all its lines onto two L1 sets.
function run_3x3(r0: usize, r1: usize, r2: usize, w: usize, b: usize, out: usize, count: i32, CM: i32,
                 sx: usize, tr: usize, lo: v128, hi: v128): void {
  const pixelBytes = <usize>CM << 2;
  const d1 = r1 - r0; // rows as offsets from r0: fewer registers live in the loop
  const d2 = r2 - r0;
  const tr2 = tr << 1, tr3 = tr2 + tr, tr4 = tr2 << 1, tr5 = tr4 + tr, tr6 = tr3 << 1, tr7 = tr6 + tr, tr8 = tr4 << 1;
  const sx1 = sx, sx2 = sx << 1, sx3 = sx2 + sx;
  const mode = sx == tr ? 1 : sx == tr2 ? 2 : 0;
  const groups = CM & ~3;
  let p = r0;
  let q = out;
  let i = 0;
  // Stride-2 quads read 27 lines per channel group; with pixels a multiple of 2 KiB apart (512+ channels)
  // those all fall into two L1 sets and evict each other (14x14x512: 50 µs against 45 µs as single
  // pixels): there, single pixels.
  const quads = mode == 1 || (pixelBytes & 2047) != 0;
  while (quads && i + 4 <= count) {
    for (let c = 0; c < groups; c += 4) {
      const o = <usize>c << 2;
      const wo = w + o;
      let a0 = b ? v128.load(b + o) : f32x4.splat(0);
      let a1 = a0, a2 = a0, a3 = a0;
      let s: usize, t: usize, w0: v128, w1: v128, w2: v128, x0: v128, x1: v128, x2: v128;
      p += o;
      if (mode == 1) {
        s = p;
        t = wo + 0 * pixelBytes;
        w0 = v128.load(t); w1 = v128.load(t + pixelBytes); w2 = v128.load(t + 2 * pixelBytes);
        x0 = v128.load(s); x1 = v128.load(s + tr); x2 = v128.load(s + tr2);
        a0 = madd(x0, w0, a0); a0 = madd(x1, w1, a0); a0 = madd(x2, w2, a0);
        x0 = v128.load(s + tr3);
        a1 = madd(x1, w0, a1); a1 = madd(x2, w1, a1); a1 = madd(x0, w2, a1);
        x1 = v128.load(s + tr4);
        a2 = madd(x2, w0, a2); a2 = madd(x0, w1, a2); a2 = madd(x1, w2, a2);
        x2 = v128.load(s + tr5);
        a3 = madd(x0, w0, a3); a3 = madd(x1, w1, a3); a3 = madd(x2, w2, a3);
        s = p + d1;
        t = wo + 3 * pixelBytes;
        w0 = v128.load(t); w1 = v128.load(t + pixelBytes); w2 = v128.load(t + 2 * pixelBytes);
        x0 = v128.load(s); x1 = v128.load(s + tr); x2 = v128.load(s + tr2);
        a0 = madd(x0, w0, a0); a0 = madd(x1, w1, a0); a0 = madd(x2, w2, a0);
        x0 = v128.load(s + tr3);
        a1 = madd(x1, w0, a1); a1 = madd(x2, w1, a1); a1 = madd(x0, w2, a1);
        x1 = v128.load(s + tr4);
        a2 = madd(x2, w0, a2); a2 = madd(x0, w1, a2); a2 = madd(x1, w2, a2);
        x2 = v128.load(s + tr5);
        a3 = madd(x0, w0, a3); a3 = madd(x1, w1, a3); a3 = madd(x2, w2, a3);
        s = p + d2;
        t = wo + 6 * pixelBytes;
        w0 = v128.load(t); w1 = v128.load(t + pixelBytes); w2 = v128.load(t + 2 * pixelBytes);
        x0 = v128.load(s); x1 = v128.load(s + tr); x2 = v128.load(s + tr2);
        a0 = madd(x0, w0, a0); a0 = madd(x1, w1, a0); a0 = madd(x2, w2, a0);
        x0 = v128.load(s + tr3);
        a1 = madd(x1, w0, a1); a1 = madd(x2, w1, a1); a1 = madd(x0, w2, a1);
        x1 = v128.load(s + tr4);
        a2 = madd(x2, w0, a2); a2 = madd(x0, w1, a2); a2 = madd(x1, w2, a2);
        x2 = v128.load(s + tr5);
        a3 = madd(x0, w0, a3); a3 = madd(x1, w1, a3); a3 = madd(x2, w2, a3);
      } else if (mode == 2) {
        s = p;
        t = wo + 0 * pixelBytes;
        w0 = v128.load(t); w1 = v128.load(t + pixelBytes); w2 = v128.load(t + 2 * pixelBytes);
        x0 = v128.load(s); x1 = v128.load(s + tr); x2 = v128.load(s + tr2);
        a0 = madd(x0, w0, a0); a0 = madd(x1, w1, a0); a0 = madd(x2, w2, a0);
        x0 = v128.load(s + tr3); x1 = v128.load(s + tr4);
        a1 = madd(x2, w0, a1); a1 = madd(x0, w1, a1); a1 = madd(x1, w2, a1);
        x0 = v128.load(s + tr5); x2 = v128.load(s + tr6);
        a2 = madd(x1, w0, a2); a2 = madd(x0, w1, a2); a2 = madd(x2, w2, a2);
        x0 = v128.load(s + tr7); x1 = v128.load(s + tr8);
        a3 = madd(x2, w0, a3); a3 = madd(x0, w1, a3); a3 = madd(x1, w2, a3);
        s = p + d1;
        t = wo + 3 * pixelBytes;
        w0 = v128.load(t); w1 = v128.load(t + pixelBytes); w2 = v128.load(t + 2 * pixelBytes);
        x0 = v128.load(s); x1 = v128.load(s + tr); x2 = v128.load(s + tr2);
        a0 = madd(x0, w0, a0); a0 = madd(x1, w1, a0); a0 = madd(x2, w2, a0);
        x0 = v128.load(s + tr3); x1 = v128.load(s + tr4);
        a1 = madd(x2, w0, a1); a1 = madd(x0, w1, a1); a1 = madd(x1, w2, a1);
        x0 = v128.load(s + tr5); x2 = v128.load(s + tr6);
        a2 = madd(x1, w0, a2); a2 = madd(x0, w1, a2); a2 = madd(x2, w2, a2);
        x0 = v128.load(s + tr7); x1 = v128.load(s + tr8);
        a3 = madd(x2, w0, a3); a3 = madd(x0, w1, a3); a3 = madd(x1, w2, a3);
        s = p + d2;
        t = wo + 6 * pixelBytes;
        w0 = v128.load(t); w1 = v128.load(t + pixelBytes); w2 = v128.load(t + 2 * pixelBytes);
        x0 = v128.load(s); x1 = v128.load(s + tr); x2 = v128.load(s + tr2);
        a0 = madd(x0, w0, a0); a0 = madd(x1, w1, a0); a0 = madd(x2, w2, a0);
        x0 = v128.load(s + tr3); x1 = v128.load(s + tr4);
        a1 = madd(x2, w0, a1); a1 = madd(x0, w1, a1); a1 = madd(x1, w2, a1);
        x0 = v128.load(s + tr5); x2 = v128.load(s + tr6);
        a2 = madd(x1, w0, a2); a2 = madd(x0, w1, a2); a2 = madd(x2, w2, a2);
        x0 = v128.load(s + tr7); x1 = v128.load(s + tr8);
        a3 = madd(x2, w0, a3); a3 = madd(x0, w1, a3); a3 = madd(x1, w2, a3);
      } else {
        s = p;
        t = wo + 0 * pixelBytes;
        w0 = v128.load(t); w1 = v128.load(t + pixelBytes); w2 = v128.load(t + 2 * pixelBytes);
        x0 = v128.load(s); x1 = v128.load(s + tr); x2 = v128.load(s + tr2);
        a0 = madd(x0, w0, a0); a0 = madd(x1, w1, a0); a0 = madd(x2, w2, a0);
        x0 = v128.load(s + sx1); x1 = v128.load(s + sx1 + tr); x2 = v128.load(s + sx1 + tr2);
        a1 = madd(x0, w0, a1); a1 = madd(x1, w1, a1); a1 = madd(x2, w2, a1);
        x0 = v128.load(s + sx2); x1 = v128.load(s + sx2 + tr); x2 = v128.load(s + sx2 + tr2);
        a2 = madd(x0, w0, a2); a2 = madd(x1, w1, a2); a2 = madd(x2, w2, a2);
        x0 = v128.load(s + sx3); x1 = v128.load(s + sx3 + tr); x2 = v128.load(s + sx3 + tr2);
        a3 = madd(x0, w0, a3); a3 = madd(x1, w1, a3); a3 = madd(x2, w2, a3);
        s = p + d1;
        t = wo + 3 * pixelBytes;
        w0 = v128.load(t); w1 = v128.load(t + pixelBytes); w2 = v128.load(t + 2 * pixelBytes);
        x0 = v128.load(s); x1 = v128.load(s + tr); x2 = v128.load(s + tr2);
        a0 = madd(x0, w0, a0); a0 = madd(x1, w1, a0); a0 = madd(x2, w2, a0);
        x0 = v128.load(s + sx1); x1 = v128.load(s + sx1 + tr); x2 = v128.load(s + sx1 + tr2);
        a1 = madd(x0, w0, a1); a1 = madd(x1, w1, a1); a1 = madd(x2, w2, a1);
        x0 = v128.load(s + sx2); x1 = v128.load(s + sx2 + tr); x2 = v128.load(s + sx2 + tr2);
        a2 = madd(x0, w0, a2); a2 = madd(x1, w1, a2); a2 = madd(x2, w2, a2);
        x0 = v128.load(s + sx3); x1 = v128.load(s + sx3 + tr); x2 = v128.load(s + sx3 + tr2);
        a3 = madd(x0, w0, a3); a3 = madd(x1, w1, a3); a3 = madd(x2, w2, a3);
        s = p + d2;
        t = wo + 6 * pixelBytes;
        w0 = v128.load(t); w1 = v128.load(t + pixelBytes); w2 = v128.load(t + 2 * pixelBytes);
        x0 = v128.load(s); x1 = v128.load(s + tr); x2 = v128.load(s + tr2);
        a0 = madd(x0, w0, a0); a0 = madd(x1, w1, a0); a0 = madd(x2, w2, a0);
        x0 = v128.load(s + sx1); x1 = v128.load(s + sx1 + tr); x2 = v128.load(s + sx1 + tr2);
        a1 = madd(x0, w0, a1); a1 = madd(x1, w1, a1); a1 = madd(x2, w2, a1);
        x0 = v128.load(s + sx2); x1 = v128.load(s + sx2 + tr); x2 = v128.load(s + sx2 + tr2);
        a2 = madd(x0, w0, a2); a2 = madd(x1, w1, a2); a2 = madd(x2, w2, a2);
        x0 = v128.load(s + sx3); x1 = v128.load(s + sx3 + tr); x2 = v128.load(s + sx3 + tr2);
        a3 = madd(x0, w0, a3); a3 = madd(x1, w1, a3); a3 = madd(x2, w2, a3);
      }
      p -= o;
      const qo = q + o;
      v128.store(qo, clamp(a0, lo, hi));
      v128.store(qo + pixelBytes, clamp(a1, lo, hi));
      v128.store(qo + 2 * pixelBytes, clamp(a2, lo, hi));
      v128.store(qo + 3 * pixelBytes, clamp(a3, lo, hi));
    }
    for (let j = 0; groups < CM && j < 4; j++) {
      const t = p + <usize>j * sx;
      pixel_3x3(t, t + tr, t + tr2, t + d1, t + d1 + tr, t + d1 + tr2, t + d2, t + d2 + tr, t + d2 + tr2,
                w, b, q + <usize>j * pixelBytes, groups, CM, lo, hi);
    }
    i += 4;
    // The last 1-3 pixels: one more quad ending at the run's end (recomputing up to 3 pixels, same values)
    // is cheaper than single pixels; runs shorter than 4 take single pixels.
    const next = i + 4 <= count || i >= count ? i : count - 4;
    p += <usize>(next - i + 4) * sx;
    q += <usize>(next - i + 4) * pixelBytes;
    i = next;
  }
  for (; i < count; i++) {
    pixel_3x3(p, p + tr, p + tr2, p + d1, p + d1 + tr, p + d1 + tr2, p + d2, p + d2 + tr, p + d2 + tr2,
              w, b, q, 0, CM, lo, hi);
    p += sx;
    q += pixelBytes;
  }
}

// Channels [c0, CM) of one output pixel of a 3x3 kernel, from the addresses of its 9 taps in x (row-major;
// a tap in the padding points into the zeroed row): the run's last pixels and the border pixels.
function pixel_3x3(t0: usize, t1: usize, t2: usize, t3: usize, t4: usize, t5: usize, t6: usize, t7: usize, t8: usize,
                   w: usize, b: usize, q: usize, c0: i32, CM: i32, lo: v128, hi: v128): void {
  const pb = <usize>CM << 2;
  let c = c0;
  for (; c + 4 <= CM; c += 4) {
    const o = <usize>c << 2;
    const wp = w + o;
    let a = b ? v128.load(b + o) : f32x4.splat(0);
    a = madd(v128.load(t0 + o), v128.load(wp), a);
    a = madd(v128.load(t1 + o), v128.load(wp + pb), a);
    a = madd(v128.load(t2 + o), v128.load(wp + 2 * pb), a);
    a = madd(v128.load(t3 + o), v128.load(wp + 3 * pb), a);
    a = madd(v128.load(t4 + o), v128.load(wp + 4 * pb), a);
    a = madd(v128.load(t5 + o), v128.load(wp + 5 * pb), a);
    a = madd(v128.load(t6 + o), v128.load(wp + 6 * pb), a);
    a = madd(v128.load(t7 + o), v128.load(wp + 7 * pb), a);
    a = madd(v128.load(t8 + o), v128.load(wp + 8 * pb), a);
    v128.store(q + o, clamp(a, lo, hi));
  }
  const l = f32x4.extract_lane(lo, 0), h = f32x4.extract_lane(hi, 0);
  for (; c < CM; c++) {
    const o = <usize>c << 2;
    const wp = w + o;
    let a: f32 = b ? load<f32>(b + o) : 0;
    a += load<f32>(t0 + o) * load<f32>(wp);
    a += load<f32>(t1 + o) * load<f32>(wp + pb);
    a += load<f32>(t2 + o) * load<f32>(wp + 2 * pb);
    a += load<f32>(t3 + o) * load<f32>(wp + 3 * pb);
    a += load<f32>(t4 + o) * load<f32>(wp + 4 * pb);
    a += load<f32>(t5 + o) * load<f32>(wp + 5 * pb);
    a += load<f32>(t6 + o) * load<f32>(wp + 6 * pb);
    a += load<f32>(t7 + o) * load<f32>(wp + 7 * pb);
    a += load<f32>(t8 + o) * load<f32>(wp + 8 * pb);
    a = a < l ? l : a;
    store<f32>(q + o, h < a ? h : a);
  }
}

// relu and relu6 fused into the 3x3 path's stores as a clamp to [lo, hi] (pmax/pmin, as activate_f32x4:
// NaN passes through); other activations run over each finished row.
@inline function clamp(a: v128, lo: v128, hi: v128): v128 {
  return f32x4.pmin(f32x4.pmax(a, lo), hi);
}

// Output columns [owA, owB) whose KW taps all lie inside [0, W); the rest are border pixels.
@inline function inner_begin(sw: i32, pl: i32, OW: i32): i32 {
  return min((pl + sw - 1) / sw, OW);
}
@inline function inner_end(W: i32, K: i32, sw: i32, pl: i32, dw: i32, OW: i32, begin: i32): i32 {
  const last = W - 1 - (K - 1) * dw + pl; // ow·sw ≤ last
  return last < 0 ? begin : max(begin, min(last / sw + 1, OW));
}

// One image's rows of output, stride/dilation/padding as in depthwise_forward_f32. With a 3x3 kernel the
// columns whose taps all lie inside the image run through run_3x3 and the border columns through
// pixel_3x3, both reading kernel rows above or below the image from `zero` (a zeroed row of W pixels);
// other kernels go through pixel_any.
function image_forward(image: usize, w: usize, b: usize, out: usize, zero: usize,
                       H: i32, W: i32, CM: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                       sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32, act: i32, alpha: f32): void {
  const pixelBytes = <usize>CM << 2;
  const rowBytes = <usize>W * pixelBytes;
  const fast = KH == 3 && KW == 3;
  const fused = fast && act <= ACT_RELU6;
  const lo = f32x4.splat(fused && act != 0 ? 0 : -Infinity);
  const hi = f32x4.splat(fused && act == ACT_RELU6 ? 6 : Infinity);
  const owA = fast ? inner_begin(sw, pl, OW) : OW;
  const owB = fast ? inner_end(W, KW, sw, pl, dw, OW, owA) : OW;
  const tr = <usize>dw * pixelBytes;
  for (let oh = 0; oh < OH; oh++) {
    const rowOut = out + <usize>oh * <usize>OW * pixelBytes;
    if (fast) {
      const ih = oh * sh - pt;
      const r0 = <u32>ih < <u32>H ? image + <usize>ih * rowBytes : zero;
      const r1 = <u32>(ih + dh) < <u32>H ? image + <usize>(ih + dh) * rowBytes : zero;
      const r2 = <u32>(ih + 2 * dh) < <u32>H ? image + <usize>(ih + 2 * dh) * rowBytes : zero;
      if (owB > owA) {
        const col = <usize>(owA * sw - pl) * pixelBytes;
        run_3x3(r0 + col, r1 + col, r2 + col, w, b, rowOut + <usize>owA * pixelBytes, owB - owA, CM,
                <usize>sw * pixelBytes, tr, lo, hi);
      }
      for (let ow = 0; ow < OW; ow++) {
        if (ow == owA) ow = owB; // the run's columns are done
        if (ow >= OW) break;
        // Column offsets of the 3 taps; a tap left or right of the image reads the zero row.
        const iw = ow * sw - pl;
        const in0 = <u32>iw < <u32>W, in1 = <u32>(iw + dw) < <u32>W, in2 = <u32>(iw + 2 * dw) < <u32>W;
        const c0 = <usize>iw * pixelBytes, c1 = c0 + tr, c2 = c1 + tr;
        pixel_3x3(in0 ? r0 + c0 : zero, in1 ? r0 + c1 : zero, in2 ? r0 + c2 : zero,
                  in0 ? r1 + c0 : zero, in1 ? r1 + c1 : zero, in2 ? r1 + c2 : zero,
                  in0 ? r2 + c0 : zero, in1 ? r2 + c1 : zero, in2 ? r2 + c2 : zero,
                  w, b, rowOut + <usize>ow * pixelBytes, 0, CM, lo, hi);
      }
    } else {
      for (let ow = 0; ow < OW; ow++) {
        pixel_any(image, w, b, rowOut + <usize>ow * pixelBytes, oh, ow, H, W, CM, KH, KW, sh, sw, pt, pl, dh, dw);
      }
    }
    // Other activations once a row is complete, while it is in cache.
    if (act && !fused) activation_forward_f32(rowOut, rowOut, OW * CM, act, alpha);
  }
}

// y = act(depthwise(x, w) + b); b = 0 means no bias.
export function depthwise_forward_f32(x: usize, w: usize, b: usize, y: usize,
                                      N: i32, H: i32, W: i32, C: i32, M: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                                      sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32,
                                      act: i32, alpha: f32, scratch: usize): void {
  const CM = C * M;
  const pixelBytes = <usize>CM << 2;
  const zero = (scratch + 63) & ~<usize>63; // the layout of depthwise_scratch_bytes
  const xe = zero + ((<usize>max(W, OW) * pixelBytes + 63) & ~<usize>63) + ((<usize>(KH * KW) * pixelBytes + 63) & ~<usize>63);
  if (KH == 3 && KW == 3) memory.fill(zero, 0, <usize>W * pixelBytes);
  for (let n = 0; n < N; n++) {
    let image = x + <usize>n * <usize>H * <usize>W * (<usize>C << 2);
    if (M > 1) {
      expand(image, xe, H * W, C, M);
      image = xe;
    }
    image_forward(image, w, b, y + <usize>n * <usize>OH * <usize>OW * pixelBytes, zero,
                  H, W, CM, KH, KW, OH, OW, sh, sw, pt, pl, dh, dw, act, alpha);
  }
}

// dw[taps] += dy · x over the 9 taps of one output pixel, channels [c0, CM): t0..t8 are the taps' addresses
// in x (a tap in the padding points into the zeroed row and adds 0), g the pixel's dy.
function dw_pixel_3x3(t0: usize, t1: usize, t2: usize, t3: usize, t4: usize, t5: usize, t6: usize, t7: usize, t8: usize,
                      g: usize, dwt: usize, c0: i32, CM: i32): void {
  const pb = <usize>CM << 2;
  let c = c0;
  for (; c + 4 <= CM; c += 4) {
    const o = <usize>c << 2;
    const gv = v128.load(g + o);
    const d = dwt + o;
    v128.store(d, madd(gv, v128.load(t0 + o), v128.load(d)));
    v128.store(d + pb, madd(gv, v128.load(t1 + o), v128.load(d + pb)));
    v128.store(d + 2 * pb, madd(gv, v128.load(t2 + o), v128.load(d + 2 * pb)));
    v128.store(d + 3 * pb, madd(gv, v128.load(t3 + o), v128.load(d + 3 * pb)));
    v128.store(d + 4 * pb, madd(gv, v128.load(t4 + o), v128.load(d + 4 * pb)));
    v128.store(d + 5 * pb, madd(gv, v128.load(t5 + o), v128.load(d + 5 * pb)));
    v128.store(d + 6 * pb, madd(gv, v128.load(t6 + o), v128.load(d + 6 * pb)));
    v128.store(d + 7 * pb, madd(gv, v128.load(t7 + o), v128.load(d + 7 * pb)));
    v128.store(d + 8 * pb, madd(gv, v128.load(t8 + o), v128.load(d + 8 * pb)));
  }
  for (; c < CM; c++) {
    const o = <usize>c << 2;
    const gv = load<f32>(g + o);
    const d = dwt + o;
    store<f32>(d, load<f32>(d) + gv * load<f32>(t0 + o));
    store<f32>(d + pb, load<f32>(d + pb) + gv * load<f32>(t1 + o));
    store<f32>(d + 2 * pb, load<f32>(d + 2 * pb) + gv * load<f32>(t2 + o));
    store<f32>(d + 3 * pb, load<f32>(d + 3 * pb) + gv * load<f32>(t3 + o));
    store<f32>(d + 4 * pb, load<f32>(d + 4 * pb) + gv * load<f32>(t4 + o));
    store<f32>(d + 5 * pb, load<f32>(d + 5 * pb) + gv * load<f32>(t5 + o));
    store<f32>(d + 6 * pb, load<f32>(d + 6 * pb) + gv * load<f32>(t6 + o));
    store<f32>(d + 7 * pb, load<f32>(d + 7 * pb) + gv * load<f32>(t7 + o));
    store<f32>(d + 8 * pb, load<f32>(d + 8 * pb) + gv * load<f32>(t8 + o));
  }
}

// dw of a run of `count` output pixels of a 3x3 kernel (r0, r1, r2, sx, tr as in run_3x3; g: the first
// pixel's dy). Four pixels at a time: each of the 9 taps' dw vectors is read and written once per 4 pixels
// (4 products each), and with stride 1 the pixels share the columns they read.
function dw_run_3x3(r0: usize, r1: usize, r2: usize, g: usize, dwt: usize, count: i32, CM: i32, sx: usize, tr: usize): void {
  const pb = <usize>CM << 2;
  const d1 = r1 - r0;
  const d2 = r2 - r0;
  const tr2 = tr << 1, tr3 = tr2 + tr, tr4 = tr2 << 1, tr5 = tr4 + tr;
  const shared = sx == tr;
  const groups = CM & ~3;
  let p = r0;
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    for (let c = 0; c < groups; c += 4) {
      const o = <usize>c << 2;
      const gp = g + o;
      const g0 = v128.load(gp), g1 = v128.load(gp + pb), g2 = v128.load(gp + 2 * pb), g3 = v128.load(gp + 3 * pb);
      let d = dwt + o;
      for (let k = 0; k < 3; k++) {
        const s = p + o + (k == 0 ? 0 : k == 1 ? d1 : d2);
        if (shared) {
          const x0 = v128.load(s), x1 = v128.load(s + tr), x2 = v128.load(s + tr2);
          const x3 = v128.load(s + tr3), x4 = v128.load(s + tr4), x5 = v128.load(s + tr5);
          v128.store(d, madd(g3, x3, madd(g2, x2, madd(g1, x1, madd(g0, x0, v128.load(d))))));
          v128.store(d + pb, madd(g3, x4, madd(g2, x3, madd(g1, x2, madd(g0, x1, v128.load(d + pb))))));
          v128.store(d + 2 * pb, madd(g3, x5, madd(g2, x4, madd(g1, x3, madd(g0, x2, v128.load(d + 2 * pb))))));
        } else {
          for (let j = 0; j < 3; j++) {
            const t = s + <usize>j * tr;
            const e = d + <usize>j * pb;
            v128.store(e, madd(g3, v128.load(t + 3 * sx), madd(g2, v128.load(t + 2 * sx), madd(g1, v128.load(t + sx), madd(g0, v128.load(t), v128.load(e))))));
          }
        }
        d += 3 * pb;
      }
    }
    for (let j = 0; groups < CM && j < 4; j++) {
      const t = p + <usize>j * sx;
      dw_pixel_3x3(t, t + tr, t + tr2, t + d1, t + d1 + tr, t + d1 + tr2, t + d2, t + d2 + tr, t + d2 + tr2,
                   g + <usize>j * pb, dwt, groups, CM);
    }
    p += sx << 2;
    g += pb << 2;
  }
  for (; i < count; i++) {
    dw_pixel_3x3(p, p + tr, p + tr2, p + d1, p + d1 + tr, p + d1 + tr2, p + d2, p + d2 + tr, p + d2 + tr2, g, dwt, 0, CM);
    p += sx;
    g += pb;
  }
}

// dw of one image with a 3x3 kernel: interior runs through dw_run_3x3, border pixels through dw_pixel_3x3.
function image_dw_3x3(image: usize, dy: usize, dwt: usize, zero: usize, H: i32, W: i32, CM: i32, OH: i32, OW: i32,
                      sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32): void {
  const pixelBytes = <usize>CM << 2;
  const rowBytes = <usize>W * pixelBytes;
  const owA = inner_begin(sw, pl, OW);
  const owB = inner_end(W, 3, sw, pl, dw, OW, owA);
  const tr = <usize>dw * pixelBytes;
  for (let oh = 0; oh < OH; oh++) {
    const g = dy + <usize>oh * <usize>OW * pixelBytes;
    const ih = oh * sh - pt;
    const r0 = <u32>ih < <u32>H ? image + <usize>ih * rowBytes : zero;
    const r1 = <u32>(ih + dh) < <u32>H ? image + <usize>(ih + dh) * rowBytes : zero;
    const r2 = <u32>(ih + 2 * dh) < <u32>H ? image + <usize>(ih + 2 * dh) * rowBytes : zero;
    if (owB > owA) {
      const col = <usize>(owA * sw - pl) * pixelBytes;
      dw_run_3x3(r0 + col, r1 + col, r2 + col, g + <usize>owA * pixelBytes, dwt, owB - owA, CM, <usize>sw * pixelBytes, tr);
    }
    for (let ow = 0; ow < OW; ow++) {
      if (ow == owA) ow = owB;
      if (ow >= OW) break;
      const iw = ow * sw - pl;
      const in0 = <u32>iw < <u32>W, in1 = <u32>(iw + dw) < <u32>W, in2 = <u32>(iw + 2 * dw) < <u32>W;
      const c0 = <usize>iw * pixelBytes, c1 = c0 + tr, c2 = c1 + tr;
      dw_pixel_3x3(in0 ? r0 + c0 : zero, in1 ? r0 + c1 : zero, in2 ? r0 + c2 : zero,
                   in0 ? r1 + c0 : zero, in1 ? r1 + c1 : zero, in2 ? r1 + c2 : zero,
                   in0 ? r2 + c0 : zero, in1 ? r2 + c1 : zero, in2 ? r2 + c2 : zero,
                   g + <usize>ow * pixelBytes, dwt, 0, CM);
    }
  }
}

// The scatter form of backward for any kernel and stride: for every output pixel and tap inside the image,
// dx'[tap] += dy · w[tap] (grad ≠ 0) and dw[tap] += dy · x'[tap] (dwt ≠ 0).
function image_scatter(image: usize, w: usize, g0: usize, grad: usize, dwt: usize,
                       H: i32, W: i32, CM: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                       sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32): void {
  const pixelBytes = <usize>CM << 2;
  const tapDown = <usize>dh * <usize>W * pixelBytes;
  const tapRight = <usize>dw * pixelBytes;
  const wDown = <usize>KW * pixelBytes;
  let g = g0;
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
            if (grad) v128.store(grad + p, madd(gv, v128.load(w + q), v128.load(grad + p)));
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
            if (grad) store<f32>(grad + p, load<f32>(grad + p) + gv * load<f32>(w + q));
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
}

// dx (N,H,W,C), dw (KH,KW,C,M), db (C·M) from x, w and dy (N,OH,OW,C·M); a 0 pointer skips that output.
// Outputs are overwritten. dy is already multiplied by the activation's derivative.
// With stride 1, dx is itself a depthwise conv: dy correlated with the kernel flipped in both directions,
// padded by (K − 1)·d − p, so it runs through image_forward (the 3x3 runs) on a flipped copy of w. A 3x3
// dw runs through image_dw_3x3. Anything else takes the scatter.
export function depthwise_backward_f32(x: usize, w: usize, dy: usize, dx: usize, dwt: usize, db: usize,
                                       N: i32, H: i32, W: i32, C: i32, M: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                                       sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32, scratch: usize): void {
  const CM = C * M;
  const pixelBytes = <usize>CM << 2;
  const imageBytes = <usize>H * <usize>W * pixelBytes;
  const taps = KH * KW;
  const zero = (scratch + 63) & ~<usize>63;
  const flipped = zero + ((<usize>max(W, OW) * pixelBytes + 63) & ~<usize>63);
  const xe = flipped + ((<usize>taps * pixelBytes + 63) & ~<usize>63);
  const dxe = xe + imageBytes;
  if (dwt) memory.fill(dwt, 0, <usize>taps * pixelBytes);
  if (db) bias_grad_f32(dy, db, N * OH * OW, CM);
  if (!dx && !dwt) return;
  const ptT = (KH - 1) * dh - pt; // the flipped conv's padding
  const plT = (KW - 1) * dw - pl;
  const dxAsConv = dx != 0 && sh == 1 && sw == 1 && ptT >= 0 && plT >= 0;
  const dw3x3 = dwt != 0 && KH == 3 && KW == 3;
  if (dxAsConv || dw3x3) memory.fill(zero, 0, <usize>max(W, OW) * pixelBytes);
  if (dxAsConv) {
    for (let t = 0; t < taps; t++) memory.copy(flipped + <usize>t * pixelBytes, w + <usize>(taps - 1 - t) * pixelBytes, pixelBytes);
  }
  for (let n = 0; n < N; n++) {
    const xImage = x + <usize>n * <usize>H * <usize>W * (<usize>C << 2);
    const g = dy + <usize>n * <usize>OH * <usize>OW * pixelBytes;
    let image = xImage;
    let grad = dx ? xImage - x + dx : 0; // this image of dx (M = 1) or the expanded gradient
    if (M > 1) {
      if (dwt) expand(xImage, xe, H * W, C, M);
      image = xe;
      if (dx) grad = dxe;
    }
    if (dx && dxAsConv) {
      image_forward(g, flipped, 0, grad, zero, OH, OW, CM, KH, KW, H, W, 1, 1, ptT, plT, dh, dw, 0, 0);
    } else if (dx) {
      memory.fill(grad, 0, imageBytes);
    }
    if (dw3x3) image_dw_3x3(image, g, dwt, zero, H, W, CM, OH, OW, sh, sw, pt, pl, dh, dw);
    const scatterDx = dx != 0 && !dxAsConv;
    const scatterDw = dwt != 0 && !dw3x3;
    if (scatterDx || scatterDw) {
      image_scatter(image, w, g, scatterDx ? grad : 0, scatterDw ? dwt : 0, H, W, CM, KH, KW, OH, OW, sh, sw, pt, pl, dh, dw);
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
