// Moving between f32 and quantized u8 activations (7-bit: 0..127, see assembly/int8-gemm.ts):
//   quantize    q = clamp(nearest(x · invScale) + zero, 0, 127)   (ties to even, as f32x4.nearest)
//   dequantize  x = f32(q - zero) · scale
// Both are exact functions of their inputs in IEEE f32, so every build gives the same bytes.

export function int8_quantize(x: usize, q: usize, n: i32, invScale: f32, zero: i32): void {
  const vs = f32x4.splat(invScale);
  const vz = i32x4.splat(zero);
  // Clamped to [-zero, 127-zero] before adding the zero point, so nothing overflows.
  const lo = i32x4.splat(-zero), hi = i32x4.splat(127 - zero);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const p = x + (<usize>i << 2);
    const a = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(p), vs)));
    const b = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(p, 16), vs)));
    const r = i16x8.narrow_i32x4_s(
      i32x4.add(i32x4.min_s(i32x4.max_s(a, lo), hi), vz),
      i32x4.add(i32x4.min_s(i32x4.max_s(b, lo), hi), vz),
    );
    v128.store64_lane(q + i, i8x16.narrow_i16x8_u(r, r), 0);
  }
  for (; i < n; i++) {
    const f = nearest<f32>(load<f32>(x + (<usize>i << 2)) * invScale);
    // NaN becomes 0 as trunc_sat makes it; the rest is clamped in f32, where nothing overflows.
    const v: i32 = f != f ? 0 : <i32>min<f32>(max<f32>(f, <f32>(-zero)), <f32>(<i32>127 - zero));
    store<u8>(q + i, <u8>(v + zero));
  }
}

export function int8_dequantize(q: usize, x: usize, n: i32, scale: f32, zero: i32): void {
  const vs = f32x4.splat(scale);
  const vz = i32x4.splat(zero);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = i32x4.sub(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(q + i))), vz);
    v128.store(x + (<usize>i << 2), f32x4.mul(f32x4.convert_i32x4_s(v), vs));
  }
  for (; i < n; i++) store<f32>(x + (<usize>i << 2), <f32>(<i32>load<u8>(q + i) - zero) * scale);
}
