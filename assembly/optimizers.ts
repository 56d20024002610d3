// Optimizer steps, in place over one parameter tensor w and its gradient g (n floats); every state buffer
// (velocity, moments) belongs to the caller. The formulas are TensorFlow.js's, operation for operation, and
// use plain mul/add (no FMA) so both builds give the same weights.

// ---- SGD ----
// Plain (TF.js SGDOptimizer): w = w + g·(-lr).
export function sgd_update_f32(w: usize, g: usize, n: i32, lr: f32): void {
  const c = f32x4.splat(-lr);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(w + o, f32x4.add(f32x4.mul(v128.load(g + o), c), v128.load(w + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(w + o, load<f32>(g + o) * -lr + load<f32>(w + o));
  }
}

// With momentum (TF.js MomentumOptimizer): accum = momentum·accum + g, then
//   w = w - lr·accum                        (classic)
//   w = w - lr·(g + momentum·accum)         (nesterov)
export function sgd_momentum_update_f32(w: usize, g: usize, accum: usize, n: i32, lr: f32, momentum: f32, nesterov: i32): void {
  const c = f32x4.splat(-lr);
  const m = f32x4.splat(momentum);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const gv = v128.load(g + o);
    const a = f32x4.add(f32x4.mul(m, v128.load(accum + o)), gv);
    v128.store(accum + o, a);
    const step = nesterov ? f32x4.add(gv, f32x4.mul(a, m)) : a;
    v128.store(w + o, f32x4.add(f32x4.mul(c, step), v128.load(w + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gs = load<f32>(g + o);
    const a = momentum * load<f32>(accum + o) + gs;
    store<f32>(accum + o, a);
    const step = nesterov ? gs + a * momentum : a;
    store<f32>(w + o, -lr * step + load<f32>(w + o));
  }
}

// ---- Adam (TF.js AdamOptimizer) ----
//   m = beta1·m + (1 - beta1)·g          v = beta2·v + (1 - beta2)·g²
//   w = w + (-lr)·((m / bc1) / (sqrt(v / bc2) + epsilon)),   bc1 = 1 - beta1^t, bc2 = 1 - beta2^t
// The caller passes 1 - beta and the bias corrections computed in double precision, as TF.js does in JS.
export function adam_update_f32(
  w: usize, g: usize, m: usize, v: usize, n: i32,
  lr: f32, beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32, epsilon: f32, bc1: f32, bc2: f32,
): void {
  const c = f32x4.splat(-lr);
  const b1 = f32x4.splat(beta1);
  const k1 = f32x4.splat(oneMinusBeta1);
  const b2 = f32x4.splat(beta2);
  const k2 = f32x4.splat(oneMinusBeta2);
  const ev = f32x4.splat(epsilon);
  const c1 = f32x4.splat(bc1);
  const c2 = f32x4.splat(bc2);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const gv = v128.load(g + o);
    const mv = f32x4.add(f32x4.mul(v128.load(m + o), b1), f32x4.mul(gv, k1));
    const vv = f32x4.add(f32x4.mul(v128.load(v + o), b2), f32x4.mul(f32x4.mul(gv, gv), k2));
    v128.store(m + o, mv);
    v128.store(v + o, vv);
    const step = f32x4.div(f32x4.div(mv, c1), f32x4.add(f32x4.sqrt(f32x4.div(vv, c2)), ev));
    v128.store(w + o, f32x4.add(f32x4.mul(step, c), v128.load(w + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gs = load<f32>(g + o);
    const ms = load<f32>(m + o) * beta1 + gs * oneMinusBeta1;
    const vs = load<f32>(v + o) * beta2 + gs * gs * oneMinusBeta2;
    store<f32>(m + o, ms);
    store<f32>(v + o, vs);
    const step = (ms / bc1) / (Mathf.sqrt(vs / bc2) + epsilon);
    store<f32>(w + o, step * -lr + load<f32>(w + o));
  }
}

// ---- RMSprop (TF.js RMSPropOptimizer, not centered) ----
//   ms = rho·ms + (1 - rho)·g²
//   with a momentum buffer:  mom = momentum·mom + lr·g / sqrt(ms + epsilon);  w = w - mom
//   without (mom = 0):       w = w - lr·g / sqrt(ms + epsilon)
export function rmsprop_update_f32(
  w: usize, g: usize, ms: usize, mom: usize, n: i32,
  lr: f32, rho: f32, oneMinusRho: f32, momentum: f32, epsilon: f32,
): void {
  const lv = f32x4.splat(lr);
  const rv = f32x4.splat(rho);
  const kv = f32x4.splat(oneMinusRho);
  const mmv = f32x4.splat(momentum);
  const ev = f32x4.splat(epsilon);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const gv = v128.load(g + o);
    const s = f32x4.add(f32x4.mul(v128.load(ms + o), rv), f32x4.mul(f32x4.mul(gv, gv), kv));
    v128.store(ms + o, s);
    let step = f32x4.div(f32x4.mul(gv, lv), f32x4.sqrt(f32x4.add(s, ev)));
    if (mom) {
      step = f32x4.add(f32x4.mul(v128.load(mom + o), mmv), step);
      v128.store(mom + o, step);
    }
    v128.store(w + o, f32x4.sub(v128.load(w + o), step));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gs = load<f32>(g + o);
    const s = load<f32>(ms + o) * rho + gs * gs * oneMinusRho;
    store<f32>(ms + o, s);
    let step = (gs * lr) / Mathf.sqrt(s + epsilon);
    if (mom) {
      step = load<f32>(mom + o) * momentum + step;
      store<f32>(mom + o, step);
    }
    store<f32>(w + o, load<f32>(w + o) - step);
  }
}
