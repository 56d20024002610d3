// ReLU with a cap, a slope and a threshold (Keras's ReLU layer; TF.js has only the cap), forward and
// backward side by side. Computed as Keras does, so ties go its way (x == threshold gives 0):
//   forward   y = x > t ? min(x, hi) : slope·(x − t)          (hi = +∞ for no cap)
//   backward  dx = dy · (x > t ? (x < hi ? 1 : 0) : slope)   (from x: y alone cannot tell x ≥ hi from x = hi)
// dx may be dy and y may be x (each element is read before it is written).

export function relu_clamp_forward_f32(x: usize, y: usize, n: i32, hi: f32, slope: f32, t: f32): void {
  const H = f32x4.splat(hi);
  const S = f32x4.splat(slope);
  const T = f32x4.splat(t);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    v128.store(y + o, v128.bitselect(f32x4.min(v, H), f32x4.mul(S, f32x4.sub(v, T)), f32x4.gt(v, T)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(y + o, v > t ? min(v, hi) : slope * (v - t));
  }
}

export function relu_clamp_backward_f32(x: usize, dy: usize, dx: usize, n: i32, hi: f32, slope: f32, t: f32): void {
  const H = f32x4.splat(hi);
  const S = f32x4.splat(slope);
  const T = f32x4.splat(t);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    const g = v128.load(dy + o);
    const above = v128.and(g, f32x4.lt(v, H)); // dy where x < hi, else +0
    v128.store(dx + o, v128.bitselect(above, f32x4.mul(g, S), f32x4.gt(v, T)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    const g = load<f32>(dy + o);
    store<f32>(dx + o, v > t ? (v < hi ? g : 0) : g * slope);
  }
}
