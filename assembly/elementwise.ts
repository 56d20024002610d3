// Plain elementwise helpers over f32 buffers: fill, copy, add, scale.
// Pointers are byte offsets into linear memory; n counts floats.

// out[i] = value
export function fill_f32(out: usize, n: i32, value: f32): void {
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), v);
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), value);
}

// out[i] = x[i]   (the buffers may overlap only if out == x)
export function copy_f32(out: usize, x: usize, n: i32): void {
  memory.copy(out, x, <usize>n << 2);
}

// out[i] = a[i] + b[i]
export function add_f32(out: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) + load<f32>(b + o));
  }
}

// out[i] = x[i] * s
export function scale_f32(out: usize, x: usize, n: i32, s: f32): void {
  const sv = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.mul(v128.load(x + o), sv));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(x + o) * s);
  }
}

// Index of the first NaN or ±Infinity in x[0..n), or -1 when every value is finite. For v finite, v - v is
// 0; for NaN or ±Inf it is NaN, which is the one value not equal to itself, and a sum with a NaN is NaN: so
// blocks of 16 values are summed that way and checked once (~2x faster than checking every f32x4: fit's
// and trainOnBatch's input check, serial in a training step), the f32x4 loop finding the index in the
// block that has one, or in what is left.
export function first_nonfinite_f32(x: usize, n: i32): i32 {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48);
    const d = f32x4.add(f32x4.add(f32x4.sub(v0, v0), f32x4.sub(v1, v1)), f32x4.add(f32x4.sub(v2, v2), f32x4.sub(v3, v3)));
    if (v128.any_true(f32x4.ne(d, d))) break;
  }
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    const d = f32x4.sub(v, v);
    if (v128.any_true(f32x4.ne(d, d))) break;
  }
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (v - v != 0) return i;
  }
  return -1;
}
