// Kernel micro-benchmark: GEMM and conv2d speed as GFLOP/s and as a fraction of the same run's SIMD peak
// (assembly/peak.ts: mul+add in the plain build, FMA in the relaxed one), single thread.
//
//   npm run build && node --experimental-wasm-relaxed-simd bench/kernels.mjs [--rounds 7] [--threads 2]
//
// With --threads N the kernels run on the threaded builds (work split across N threads); the peak, and so
// the percentage, stays that of one thread.
//
// Each round times every case once (peak included), so slow phases of a noisy, shared machine hit all cases
// alike; the figures are medians over rounds. Targets: GEMM ≥ 60 %, conv2d forward ≥ 45 %, backward ≥ 35 %
// (first layers with one input channel do 9–25 products per output value and cannot reach them).

const now = () => performance.now();
const median = (xs) => {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function randomTensor(sn, shape, seed) {
  let s = seed >>> 0;
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = s / 2 ** 32 - 0.5;
  }
  return sn.tensor(v, shape);
}

// Calls fn until at least minMs has passed (and at least once); returns ms per call.
function timeBlock(fn, minMs) {
  let iters = 0;
  const t0 = now();
  let t;
  do {
    fn();
    iters++;
    t = now() - t0;
  } while (t < minMs);
  return t / iters;
}

/**
 * Times the kernels on the engine `sn` is ready with. Returns rows { build, kernel, shape, gflops, ms, percentOfPeak }.
 * The first row is the peak itself.
 */
export async function runKernelBench(sn, { build, rounds = 7, minMs = 150 } = {}) {
  const { ops } = sn;
  const cases = [];
  const tensors = [];
  const keep = (t) => (tensors.push(t), t);

  for (const n of [256, 512]) {
    const a = keep(randomTensor(sn, [n, n], 1));
    const b = keep(randomTensor(sn, [n, n], 2));
    const c = keep(sn.Tensor.empty([n, n]));
    cases.push({ kernel: 'gemm', shape: `${n}x${n}x${n}`, flop: 2 * n ** 3, run: () => ops.matmul(a, b, c) });
  }

  // conv2d: x 64x28x28x32 NHWC, 3x3, 64 filters, 'same' (stride 1, pad 1 on every side).
  const [N, H, W, C, F, KH, KW] = [64, 28, 28, 32, 64, 3, 3];
  const g = { strideH: 1, strideW: 1, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, dilationH: 1, dilationW: 1 };
  const x = keep(randomTensor(sn, [N, H, W, C], 3));
  const w = keep(randomTensor(sn, [KH, KW, C, F], 4));
  const bias = keep(randomTensor(sn, [F], 5));
  const y = keep(sn.Tensor.empty([N, H, W, F]));
  const dy = keep(randomTensor(sn, [N, H, W, F], 6));
  const dx = keep(sn.Tensor.empty([N, H, W, C]));
  const dw = keep(sn.Tensor.empty([KH, KW, C, F]));
  const db = keep(sn.Tensor.empty([F]));
  const convFlop = 2 * N * H * W * F * KH * KW * C;
  const convShape = `${N}x${H}x${W}x${C} 3x3x${F} same`;
  cases.push({ kernel: 'conv2d forward', shape: convShape, flop: convFlop, run: () => ops.conv2dForward(x, w, bias, y, g, 1) });
  cases.push({ kernel: 'conv2d backward (dx+dw+db)', shape: convShape, flop: 2 * convFlop, run: () => ops.conv2dBackward(x, w, dy, dx, dw, db, g) });
  cases.push({ kernel: 'conv2d backward dx', shape: convShape, flop: convFlop, run: () => ops.conv2dBackward(x, w, dy, dx, null, null, g) });
  cases.push({ kernel: 'conv2d backward dw', shape: convShape, flop: convFlop, run: () => ops.conv2dBackward(x, w, dy, null, dw, null, g) });

  // First layers (one input channel: the direct, unpacked conv path) and a small dense layer.
  const x1 = keep(randomTensor(sn, [N, 28, 28, 1], 7));
  const valid = { ...g, padTop: 0, padBottom: 0, padLeft: 0, padRight: 0 };
  const same5 = { ...g, padTop: 2, padBottom: 2, padLeft: 2, padRight: 2 };
  const w1 = keep(randomTensor(sn, [3, 3, 1, 32], 8));
  const b1 = keep(randomTensor(sn, [32], 9));
  const y1 = keep(sn.Tensor.empty([N, 26, 26, 32]));
  const dy1 = keep(randomTensor(sn, [N, 26, 26, 32], 10));
  const dw1 = keep(sn.Tensor.empty([3, 3, 1, 32]));
  const db1 = keep(sn.Tensor.empty([32]));
  const flop1 = 2 * N * 26 * 26 * 32 * 9;
  cases.push({ kernel: 'conv2d forward', shape: `${N}x28x28x1 3x3x32 valid`, flop: flop1, run: () => ops.conv2dForward(x1, w1, b1, y1, valid, 1) });
  cases.push({ kernel: 'conv2d backward dw+db', shape: `${N}x28x28x1 3x3x32 valid`, flop: flop1, run: () => ops.conv2dBackward(x1, w1, dy1, null, dw1, db1, valid) });
  const w5 = keep(randomTensor(sn, [5, 5, 1, 6], 11));
  const y5 = keep(sn.Tensor.empty([N, 28, 28, 6]));
  cases.push({ kernel: 'conv2d forward', shape: `${N}x28x28x1 5x5x6 same`, flop: 2 * N * 28 * 28 * 6 * 25, run: () => ops.conv2dForward(x1, w5, null, y5, same5, 1) });
  const xd = keep(randomTensor(sn, [N, 400], 12));
  const wd = keep(randomTensor(sn, [400, 120], 13));
  const yd = keep(sn.Tensor.empty([N, 120]));
  cases.push({ kernel: 'dense forward', shape: `${N}x400 · 400x120 relu`, flop: 2 * N * 400 * 120, run: () => ops.denseForward(xd, wd, null, yd, 1) });

  for (const c of cases) c.run(); // warm-up: tier-up, scratch growth
  ops.measurePeakGflops(1, 20);

  const peaks = [];
  const times = cases.map(() => []);
  for (let r = 0; r < rounds; r++) {
    peaks.push(ops.measurePeakGflops(3, 30));
    const order = cases.map((_, i) => i);
    for (let k = 0; k < r % cases.length; k++) order.push(order.shift()); // rotate the order each round
    for (const i of order) times[i].push(timeBlock(cases[i].run, minMs));
  }
  for (const t of tensors) t.dispose();

  const peak = median(peaks);
  const rows = [{ build, kernel: build.startsWith('relaxed') ? 'peak (12 acc FMA, 1 thread)' : 'peak (12 acc mul+add, 1 thread)', shape: '', gflops: peak, ms: NaN, percentOfPeak: 100 }];
  cases.forEach((c, i) => {
    const ms = median(times[i]);
    const gflops = c.flop / (ms / 1000) / 1e9;
    rows.push({ build, kernel: c.kernel, shape: c.shape, gflops, ms, percentOfPeak: (100 * gflops) / peak });
  });
  return rows;
}

function printTable(rows) {
  const head = ['build', 'kernel', 'shape', 'ms', 'GFLOP/s', '% of peak'];
  const body = rows.map((r) => [r.build, r.kernel, r.shape, Number.isNaN(r.ms) ? '' : r.ms.toFixed(2), r.gflops.toFixed(2), r.percentOfPeak.toFixed(0) + ' %']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
}

const isMain = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('kernels.mjs');
if (isMain) {
  const sn = await import('../dist/simdnet.js');
  const i = process.argv.indexOf('--rounds');
  const rounds = i > 0 ? Number(process.argv[i + 1]) : 7;
  const t = process.argv.indexOf('--threads');
  const threads = t > 0 ? Number(process.argv[t + 1]) : 1;
  const rows = [];
  for (const simd of ['plain', 'relaxed']) {
    try {
      const info = await sn.ready({ simd, threads });
      const build = (info.relaxedSimd ? 'relaxed' : 'plain') + (info.threads > 1 ? ` x${info.threads}` : '');
      rows.push(...(await runKernelBench(sn, { build, rounds })));
    } catch (e) {
      console.error(`${simd}: ${e.message}${simd === 'relaxed' ? ' (run node with --experimental-wasm-relaxed-simd)' : ''}`);
    }
  }
  printTable(rows);
  sn.dispose();
}
