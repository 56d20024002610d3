// Merge layers' kernels (add, subtract, multiply, average, maximum, minimum, concatenate), forward and
// backward side by side. Pointers are byte offsets into linear memory; n counts floats. add and scale are
// in elementwise.ts.

// out[i] = a[i] - b[i]
export function sub_f32(out: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.sub(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) - load<f32>(b + o));
  }
}

// out[i] = a[i] * b[i]   (multiply forward; its backward is dx_i = dy · Π_{j≠i} x_j, the same kernel)
export function mul_f32(out: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) * load<f32>(b + o));
  }
}

// out[i] = max(a[i], b[i]) (isMax) or min(a[i], b[i]). Written with compare + select, so a tie keeps a.
export function max_min_f32(out: usize, a: usize, b: usize, n: i32, isMax: i32): void {
  let i = 0;
  if (isMax) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const va = v128.load(a + o);
      const vb = v128.load(b + o);
      v128.store(out + o, v128.bitselect(vb, va, f32x4.gt(vb, va)));
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const va = v128.load(a + o);
      const vb = v128.load(b + o);
      v128.store(out + o, v128.bitselect(vb, va, f32x4.lt(vb, va)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const va = load<f32>(a + o);
    const vb = load<f32>(b + o);
    store<f32>(out + o, (isMax ? vb > va : vb < va) ? vb : va);
  }
}

// Backward of maximum/minimum for one input x, called for the inputs in order: where x holds the chosen
// value (x == y), it takes the gradient still unclaimed in rem and clears it, else gets 0. So each output
// element's gradient goes to exactly one input, the first that holds the extreme (as TF.js's pairwise
// maximum, whose gradient prefers its first operand on ties).
export function claim_equal_f32(x: usize, y: usize, rem: usize, dx: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const hit = f32x4.eq(v128.load(x + o), v128.load(y + o));
    const r = v128.load(rem + o);
    v128.store(dx + o, v128.and(r, hit));
    v128.store(rem + o, v128.bitselect(zero, r, hit));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const r = load<f32>(rem + o);
    const hit = load<f32>(x + o) == load<f32>(y + o);
    store<f32>(dx + o, hit ? r : 0);
    if (hit) store<f32>(rem + o, 0);
  }
}

// Copies a block of rows × cols floats between buffers with row strides (in floats): concatenate's
// forward writes each input into its column range of the output rows, and its backward reads it back.
export function copy_rows_f32(dst: usize, dstStride: i32, src: usize, srcStride: i32, rows: i32, cols: i32): void {
  const bytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    memory.copy(dst + (<usize>r * <usize>dstStride << 2), src + (<usize>r * <usize>srcStride << 2), bytes);
  }
}

// A multiply whose second input is a per-sample channel gate (Keras's Multiply of [H,W,C] and [1,1,C], a
// squeeze-excite block): out[n,p,c] = x[n,p,c] · s[n,c] over P positions; out may be x. The gradient of x
// is the same kernel on dy; the gate's is mul_channels_grad_f32.
export function mul_channels_f32(out: usize, x: usize, s: usize, N: i32, P: i32, C: i32): void {
  const row = <usize>C << 2;
  for (let n = 0; n < N; n++) {
    const sn = s + <usize>n * row;
    for (let p = 0; p < P; p++) {
      const o = (<usize>n * <usize>P + <usize>p) * row;
      let c = 0;
      for (; c + 4 <= C; c += 4) {
        const k = <usize>c << 2;
        v128.store(out + o + k, f32x4.mul(v128.load(x + o + k), v128.load(sn + k)));
      }
      for (; c < C; c++) {
        const k = <usize>c << 2;
        store<f32>(out + o + k, load<f32>(x + o + k) * load<f32>(sn + k));
      }
    }
  }
}

// ds[n,c] = Σ_p dy[n,p,c] · x[n,p,c]: the gate's gradient (overwrites ds).
export function mul_channels_grad_f32(ds: usize, dy: usize, x: usize, N: i32, P: i32, C: i32): void {
  const row = <usize>C << 2;
  for (let n = 0; n < N; n++) {
    const d = ds + <usize>n * row;
    memory.fill(d, 0, row);
    for (let p = 0; p < P; p++) {
      const o = (<usize>n * <usize>P + <usize>p) * row;
      let c = 0;
      for (; c + 4 <= C; c += 4) {
        const k = <usize>c << 2;
        v128.store(d + k, f32x4.add(v128.load(d + k), f32x4.mul(v128.load(dy + o + k), v128.load(x + o + k))));
      }
      for (; c < C; c++) {
        const k = <usize>c << 2;
        store<f32>(d + k, load<f32>(d + k) + load<f32>(dy + o + k) * load<f32>(x + o + k));
      }
    }
  }
}
