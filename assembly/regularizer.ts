// L1/L2 weight regularization (Keras/TF.js L1L2), the penalty and its gradient in one pass over w:
//   penalty = Σ l1·|w| + l2·w²        g += l1·sign(w) + 2·l2·w        (sign(0) = 0, as TensorFlow's)
// w, g: n floats; g is the parameter's gradient, already summed by backward. Returns the penalty.
export function regularize_f32(w: usize, g: usize, n: i32, l1: f32, l2: f32): f64 {
  const l1v = f32x4.splat(l1);
  const l2x2 = f32x4.splat(2 * l2);
  const one = f32x4.splat(1);
  const zero = f32x4.splat(0);
  let absSum = f32x4.splat(0);
  let sqSum = f32x4.splat(0);
  let abs64: f64 = 0;
  let sq64: f64 = 0;
  let i = 0;
  while (i + 4 <= n) {
    // Blocks of 4,096 floats are summed in f32 lanes, then into f64, so large kernels keep their precision.
    const end = min(n & ~3, i + 4096);
    for (; i < end; i += 4) {
      const o = <usize>i << 2;
      const x = v128.load(w + o);
      const sign = f32x4.sub(v128.and(f32x4.gt(x, zero), one), v128.and(f32x4.lt(x, zero), one));
      absSum = f32x4.add(absSum, f32x4.abs(x));
      sqSum = f32x4.add(sqSum, f32x4.mul(x, x));
      v128.store(g + o, f32x4.add(v128.load(g + o), f32x4.add(f32x4.mul(sign, l1v), f32x4.mul(x, l2x2))));
    }
    abs64 += <f64>f32x4.extract_lane(absSum, 0) + <f64>f32x4.extract_lane(absSum, 1) + <f64>f32x4.extract_lane(absSum, 2) + <f64>f32x4.extract_lane(absSum, 3);
    sq64 += <f64>f32x4.extract_lane(sqSum, 0) + <f64>f32x4.extract_lane(sqSum, 1) + <f64>f32x4.extract_lane(sqSum, 2) + <f64>f32x4.extract_lane(sqSum, 3);
    absSum = zero;
    sqSum = zero;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(w + o);
    const sign: f32 = x > 0 ? 1 : x < 0 ? -1 : 0;
    abs64 += <f64>Mathf.abs(x);
    sq64 += <f64>x * <f64>x;
    store<f32>(g + o, load<f32>(g + o) + sign * l1 + x * (2 * l2));
  }
  return <f64>l1 * abs64 + <f64>l2 * sq64;
}
