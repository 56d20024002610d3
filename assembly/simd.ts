// Shared SIMD helpers. `madd` is a real FMA in the relaxed build and mul+add in the plain one;
// ASC_FEATURE_RELAXED_SIMD is a compile-time constant, so the other branch is not emitted.

// a * b + c, four lanes at a time.
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// Sum of the four lanes.
@inline export function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

// The first k (1..4) lanes at p, the rest 0 / stores of the first k lanes: for channel tails of 1..3. The
// tails go through a call, so the many loads and stores of a transform carry no copy of them.
@inline export function ldk(p: usize, k: i32): v128 {
  return k == 4 ? v128.load(p) : ld_tail(p, k);
}

@inline export function stk(p: usize, k: i32, v: v128): void {
  if (k == 4) v128.store(p, v);
  else st_tail(p, k, v);
}

function ld_tail(p: usize, k: i32): v128 {
  let v = f32x4.replace_lane(f32x4.splat(0), 0, load<f32>(p));
  if (k > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (k > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

function st_tail(p: usize, k: i32, v: v128): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (k > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (k > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}
