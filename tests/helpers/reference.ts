// Plain float64 references shared by the kernel tests: central-difference gradients and the activations.

/** d f / d x by central differences, one coordinate at a time (x is restored after each probe). */
export function numericalGradient(f: (x: Float64Array) => number, x: Float64Array, eps: number): Float64Array {
  const grad = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const keep = x[i];
    x[i] = keep + eps;
    const up = f(x);
    x[i] = keep - eps;
    const down = f(x);
    x[i] = keep;
    grad[i] = (up - down) / (2 * eps);
  }
  return grad;
}

/** The activation codes of docs/ARCHITECTURE.md: 0 linear, 1 relu, 2 relu6, 3 leakyRelu, 4 elu, 5 sigmoid, 6 tanh, 7 hardSigmoid(alpha), 8 hardSwish. */
export function activate(v: number, act: number, alpha: number): number {
  switch (act) {
    case 1: return Math.max(v, 0);
    case 2: return Math.min(Math.max(v, 0), 6);
    case 3: return v > 0 ? v : alpha * v;
    case 4: return v > 0 ? v : alpha * (Math.exp(v) - 1);
    case 5: return 1 / (1 + Math.exp(-v));
    case 6: return Math.tanh(v);
    case 7: return Math.min(Math.max(alpha * v + 0.5, 0), 1);
    case 8: return (v * Math.min(Math.max(v + 3, 0), 6)) / 6;
    default: return v;
  }
}
