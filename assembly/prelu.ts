// PReLU: y = x for x > 0, alpha·x otherwise, with a learned alpha per position. x is (rows, S) seen flat;
// alpha has A values and position i of a row uses alpha[i % A] (A = S, or the trailing per-sample axes
// that are not shared: Keras's shared_axes over leading axes, e.g. one alpha per channel of an image).
//   forward   y = x > 0 ? x : alpha·x
//   backward  dx = dy · (x > 0 ? 1 : alpha)      dalpha[j] += Σ dy·x over the cells with x ≤ 0 using alpha[j]

export function prelu_forward_f32(x: usize, alpha: usize, y: usize, n: i32, A: i32): void {
  let j = 0;
  let i = 0;
  for (; i + 4 <= n && A % 4 == 0; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    const a = v128.load(alpha + (<usize>j << 2));
    v128.store(y + o, v128.bitselect(v, f32x4.mul(v, a), f32x4.gt(v, f32x4.splat(0))));
    j += 4;
    if (j == A) j = 0;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(y + o, v > 0 ? v : v * load<f32>(alpha + (<usize>(i % A) << 2)));
  }
}

// dalpha is added to (0 skips it); dx may be dy.
export function prelu_backward_f32(x: usize, alpha: usize, dy: usize, dx: usize, dalpha: usize, n: i32, A: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    const g = load<f32>(dy + o);
    const ao = <usize>(i % A) << 2;
    if (v > 0) store<f32>(dx + o, g);
    else {
      if (dalpha) store<f32>(dalpha + ao, load<f32>(dalpha + ao) + g * v);
      store<f32>(dx + o, g * load<f32>(alpha + ao));
    }
  }
}
