// Inverted dropout: y = x * mask with mask = 0 (dropped) or 1/(1-rate) (kept), so inference needs no scaling.
//
// Random numbers come from a counter-based hash, not a sequential generator: element i's draw is
// hash(i + key(seed)), four lanes at a time with i32x4 ops. The same seed gives the same mask whatever the
// size or build; no state is kept between calls. The hash is Chris Wellons' "lowbias32" integer mixer
// (xor-shift / multiply rounds, a bijection on 32 bits with good avalanche), applied to the seed as well.
// The top 24 bits of the hash are the uniform draw u; an element is kept when u >= dropThreshold,
// where dropThreshold = round(rate * 2^24), so P(drop) = rate to within 2^-25.

@inline function mix32(v: u32): u32 {
  v ^= v >> 16;
  v *= 0x7feb352d;
  v ^= v >> 15;
  v *= 0x846ca68b;
  v ^= v >> 16;
  return v;
}

@inline function mix32x4(v: v128): v128 {
  v = v128.xor(v, i32x4.shr_u(v, 16));
  v = i32x4.mul(v, i32x4.splat(0x7feb352d));
  v = v128.xor(v, i32x4.shr_u(v, 15));
  v = i32x4.mul(v, i32x4.splat(0x846ca68b));
  v = v128.xor(v, i32x4.shr_u(v, 16));
  return v;
}

// x, y, mask are (n). y may be x. keepScale is 1/(1-rate) as f32 (computed by the caller so the mask holds
// exactly the float32 of 1/(1-rate)); dropThreshold = round(rate * 2^24).
export function dropout_forward_f32(x: usize, y: usize, mask: usize, n: i32, dropThreshold: i32, keepScale: f32, seed: i32): void {
  // Two rounds on the seed so nearby seeds give unrelated keys.
  const key = mix32(mix32(<u32>seed) ^ 0x9e3779b9);
  const scale = f32x4.splat(keepScale);
  const threshold = i32x4.splat(dropThreshold);
  let counter = i32x4.add(i32x4.splat(<i32>key), i32x4(0, 1, 2, 3));
  const step = i32x4.splat(4);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const u = i32x4.shr_u(mix32x4(counter), 8);
    const m = v128.and(i32x4.ge_s(u, threshold), scale); // all-ones lanes keep scale, others 0
    v128.store(mask + o, m);
    v128.store(y + o, f32x4.mul(v128.load(x + o), m));
    counter = i32x4.add(counter, step);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const u = mix32(key + <u32>i) >> 8;
    const m: f32 = <i32>u >= dropThreshold ? keepScale : 0;
    store<f32>(mask + o, m);
    store<f32>(y + o, load<f32>(x + o) * m);
  }
}

// dx = dy * mask, all (n). dx may be dy.
export function dropout_backward_f32(dy: usize, mask: usize, dx: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, f32x4.mul(v128.load(dy + o), v128.load(mask + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(dy + o) * load<f32>(mask + o));
  }
}
