// Kernel micro-benchmark: GEMM and conv2d speed as GFLOP/s and as a fraction of the same run's SIMD peak
// (assembly/peak.ts: mul+add in the plain build, FMA in the relaxed one), single thread.
//
//   npm run build && node --experimental-wasm-relaxed-simd bench/kernels.mjs [--rounds 7] [--threads 2] [--filter depthwise]
//
// With --threads N the kernels run on the threaded builds (work split across N threads); the peak, and so
// the percentage, stays that of one thread.
//
// Each round times every case once (peak included), so slow phases of a noisy, shared machine hit all cases
// alike; the figures are medians over rounds. Targets: GEMM ≥ 60 %, conv2d forward ≥ 45 %, backward ≥ 35 %
// (first layers with one input channel do 9–25 products per output value and cannot reach them);
// conv2dTranspose and conv3d forward ≥ 60 %, backward ≥ 40 % (issue 12). Memory-bound kernels (depthwise,
// pooling, resampling, padding) also report GB/s (bytes read + written once) against a plain copy measured in
// the same rounds; depthwise 3x3 forward is timed against TF.js wasm (XNNPACK) when bench/node_modules has it
// (target: ≤ 0.83× its time).

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
export async function runKernelBench(sn, { build, rounds = 7, minMs = 150, tf = null, filter = null } = {}) {
  const { ops } = sn;
  const peerTensors = [];
  const all = [];
  const tensors = [];
  const keep = (t) => (tensors.push(t), t);

  for (const n of [256, 512]) {
    const a = keep(randomTensor(sn, [n, n], 1));
    const b = keep(randomTensor(sn, [n, n], 2));
    const c = keep(sn.Tensor.empty([n, n]));
    all.push({ kernel: 'gemm', shape: `${n}x${n}x${n}`, flop: 2 * n ** 3, run: () => ops.matmul(a, b, c) });
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
  all.push({ kernel: 'conv2d forward', shape: convShape, flop: convFlop, run: () => ops.conv2dForward(x, w, bias, y, g, 1) });
  all.push({ kernel: 'conv2d backward (dx+dw+db)', shape: convShape, flop: 2 * convFlop, run: () => ops.conv2dBackward(x, w, dy, dx, dw, db, g) });
  all.push({ kernel: 'conv2d backward dx', shape: convShape, flop: convFlop, run: () => ops.conv2dBackward(x, w, dy, dx, null, null, g) });
  all.push({ kernel: 'conv2d backward dw', shape: convShape, flop: convFlop, run: () => ops.conv2dBackward(x, w, dy, null, dw, null, g) });

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
  all.push({ kernel: 'conv2d forward', shape: `${N}x28x28x1 3x3x32 valid`, flop: flop1, run: () => ops.conv2dForward(x1, w1, b1, y1, valid, 1) });
  all.push({ kernel: 'conv2d backward dw+db', shape: `${N}x28x28x1 3x3x32 valid`, flop: flop1, run: () => ops.conv2dBackward(x1, w1, dy1, null, dw1, db1, valid) });
  const w5 = keep(randomTensor(sn, [5, 5, 1, 6], 11));
  const y5 = keep(sn.Tensor.empty([N, 28, 28, 6]));
  all.push({ kernel: 'conv2d forward', shape: `${N}x28x28x1 5x5x6 same`, flop: 2 * N * 28 * 28 * 6 * 25, run: () => ops.conv2dForward(x1, w5, null, y5, same5, 1) });
  const xd = keep(randomTensor(sn, [N, 400], 12));
  const wd = keep(randomTensor(sn, [400, 120], 13));
  const yd = keep(sn.Tensor.empty([N, 120]));
  all.push({ kernel: 'dense forward', shape: `${N}x400 · 400x120 relu`, flop: 2 * N * 400 * 120, run: () => ops.denseForward(xd, wd, null, yd, 1) });

  // Issue 12: depthwise (batch 1, as a MobileNet layer at inference), conv2dTranspose, conv3d, and
  // memory-bound resampling/pooling/padding with a copy as the bandwidth reference.
  const pad = (k, s, len) => { const out = Math.ceil(len / s); const t = Math.max((out - 1) * s + k - len, 0); return [out, Math.floor(t / 2), t - Math.floor(t / 2)]; };
  for (const [hw, c] of [[112, 32], [14, 512]]) {
    for (const s of [1, 2]) {
      const [o, before, after] = pad(3, s, hw);
      const gd = { strideH: s, strideW: s, padTop: before, padBottom: after, padLeft: before, padRight: after, dilationH: 1, dilationW: 1 };
      const xdw = keep(randomTensor(sn, [1, hw, hw, c], 20));
      const wdw = keep(randomTensor(sn, [3, 3, c, 1], 21));
      const bdw = keep(randomTensor(sn, [c], 22));
      const ydw = keep(sn.Tensor.empty([1, o, o, c]));
      const shape = `1x${hw}x${hw}x${c} 3x3 s${s} same`;
      all.push({
        kernel: 'depthwise forward', shape, flop: 2 * o * o * c * 9, bytes: 4 * (hw * hw * c + o * o * c + 10 * c),
        compare: `dw ${shape}`, run: () => ops.depthwiseConv2dForward(xdw, wdw, bdw, ydw, gd, 1),
      });
      if (tf) {
        const tx = tf.tensor(xdw.dataSync(), xdw.shape);
        const tw = tf.tensor(wdw.dataSync(), wdw.shape);
        const tb = tf.tensor(bdw.dataSync(), bdw.shape);
        peerTensors.push(tx, tw, tb);
        all.push({
          peer: 'TF.js wasm', kernel: 'depthwise forward', shape, flop: 2 * o * o * c * 9, bytes: 4 * (hw * hw * c + o * o * c + 10 * c),
          compare: `dw ${shape}`,
          run: () => tf.tidy(() => tf.fused.depthwiseConv2d({ x: tx, filter: tw, strides: s, pad: 'same', bias: tb, activation: 'relu' })).dispose(),
        });
      }
    }
  }
  {
    const [Nb, hw, c] = [8, 56, 32];
    const gd = { strideH: 1, strideW: 1, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, dilationH: 1, dilationW: 1 };
    const xdw = keep(randomTensor(sn, [Nb, hw, hw, c], 23));
    const wdw = keep(randomTensor(sn, [3, 3, c, 1], 24));
    const dydw = keep(randomTensor(sn, [Nb, hw, hw, c], 25));
    const dxdw = keep(sn.Tensor.empty([Nb, hw, hw, c]));
    const dwdw = keep(sn.Tensor.empty([3, 3, c, 1]));
    all.push({
      kernel: 'depthwise backward (dx+dw)', shape: `${Nb}x${hw}x${hw}x${c} 3x3 s1 same`, flop: 4 * Nb * hw * hw * c * 9, bytes: 4 * 4 * Nb * hw * hw * c,
      run: () => ops.depthwiseConv2dBackward(xdw, wdw, dydw, dxdw, dwdw, null, gd),
    });
  }
  {
    // conv2dTranspose: 16x14x14x64 → 16x28x28x32, 3x3 stride 2 'same' (a U-Net/decoder upsampling step).
    const [Nt, H0, C0, F0] = [16, 14, 64, 32];
    const gt = { strideH: 2, strideW: 2, padTop: 0, padBottom: 1, padLeft: 0, padRight: 1, dilationH: 1, dilationW: 1 };
    const xt = keep(randomTensor(sn, [Nt, H0, H0, C0], 26));
    const wt = keep(randomTensor(sn, [3, 3, F0, C0], 27));
    const yt = keep(sn.Tensor.empty([Nt, 2 * H0, 2 * H0, F0]));
    const dyt = keep(randomTensor(sn, [Nt, 2 * H0, 2 * H0, F0], 28));
    const dxt = keep(sn.Tensor.empty([Nt, H0, H0, C0]));
    const dwt = keep(sn.Tensor.empty([3, 3, F0, C0]));
    const flopT = 2 * Nt * H0 * H0 * C0 * 9 * F0; // every input pixel meets every tap
    const shape = `${Nt}x${H0}x${H0}x${C0} 3x3x${F0} s2 same`;
    all.push({ kernel: 'conv2dTranspose forward', shape, flop: flopT, run: () => ops.conv2dTransposeForward(xt, wt, null, yt, gt) });
    all.push({ kernel: 'conv2dTranspose backward (dx+dw)', shape, flop: 2 * flopT, run: () => ops.conv2dTransposeBackward(xt, wt, dyt, dxt, dwt, null, gt) });
  }
  {
    // conv3d: 4x8x16x16x32, 3x3x3, 32 filters, 'same'.
    const [N3, D3, H3, C3, F3] = [4, 8, 16, 32, 32];
    const g3 = { strideD: 1, strideH: 1, strideW: 1, padFront: 1, padBack: 1, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, dilationD: 1, dilationH: 1, dilationW: 1 };
    const x3 = keep(randomTensor(sn, [N3, D3, H3, H3, C3], 29));
    const w3 = keep(randomTensor(sn, [3, 3, 3, C3, F3], 30));
    const y3 = keep(sn.Tensor.empty([N3, D3, H3, H3, F3]));
    const dy3 = keep(randomTensor(sn, [N3, D3, H3, H3, F3], 31));
    const dx3 = keep(sn.Tensor.empty([N3, D3, H3, H3, C3]));
    const dw3 = keep(sn.Tensor.empty([3, 3, 3, C3, F3]));
    const flop3 = 2 * N3 * D3 * H3 * H3 * F3 * 27 * C3;
    const shape = `${N3}x${D3}x${H3}x${H3}x${C3} 3x3x3x${F3} same`;
    all.push({ kernel: 'conv3d forward', shape, flop: flop3, run: () => ops.conv3dForward(x3, w3, null, y3, g3, 1) });
    all.push({ kernel: 'conv3d backward (dx+dw)', shape, flop: 2 * flop3, run: () => ops.conv3dBackward(x3, w3, dy3, dx3, dw3, null, g3) });
    const p3 = { poolD: 2, poolH: 2, poolW: 2, strideD: 2, strideH: 2, strideW: 2, padFront: 0, padBack: 0, padTop: 0, padBottom: 0, padLeft: 0, padRight: 0 };
    const yp = keep(sn.Tensor.empty([N3, D3 / 2, H3 / 2, H3 / 2, C3]));
    const ap = keep(sn.Tensor.empty([N3, D3 / 2, H3 / 2, H3 / 2, C3]));
    const vol = N3 * D3 * H3 * H3 * C3;
    all.push({ kernel: 'maxPooling3d forward', shape: `${N3}x${D3}x${H3}x${H3}x${C3} 2x2x2`, flop: 0, bytes: 4 * (vol + vol / 4), run: () => ops.maxPool3dForward(x3, yp, ap, p3) });
  }
  {
    // Resampling and padding over 16x56x56x32 images; the copy (a pad by 0) is the bandwidth reference.
    const [Nr, hw, c] = [16, 56, 32];
    const xr = keep(randomTensor(sn, [Nr, hw, hw, c], 32));
    const up = keep(sn.Tensor.empty([Nr, 2 * hw, 2 * hw, c]));
    const cp = keep(sn.Tensor.empty([Nr, hw, hw, c]));
    const pd = keep(sn.Tensor.empty([Nr, hw + 2, hw + 2, c]));
    const img = Nr * hw * hw * c;
    const shape = `${Nr}x${hw}x${hw}x${c}`;
    all.push({ kernel: 'copy (bandwidth reference)', shape, flop: 0, bytes: 8 * img, run: () => ops.padCrop2d(xr, cp, 0, 0) });
    all.push({ kernel: 'upSampling2d nearest 2x', shape, flop: 0, bytes: 4 * 5 * img, run: () => ops.resizeForward(xr, up, 'nearest') });
    all.push({ kernel: 'upSampling2d bilinear 2x', shape, flop: 0, bytes: 4 * 5 * img, run: () => ops.resizeForward(xr, up, 'bilinear') });
    all.push({ kernel: 'upSampling2d bilinear 2x backward', shape, flop: 0, bytes: 4 * 5 * img, run: () => ops.resizeBackward(up, xr, 'bilinear') });
    all.push({ kernel: 'zeroPadding2d 1', shape, flop: 0, bytes: 4 * (img + Nr * (hw + 2) ** 2 * c), run: () => ops.padCrop2d(xr, pd, 1, 1) });
  }

  // Only the cases whose kernel name matches `filter` (a RegExp) are timed; the copy reference always is.
  const cases = all.filter((c) => !filter || filter.test(c.kernel) || c.kernel.startsWith('copy'));
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
  for (const t of peerTensors) t.dispose();

  const peak = median(peaks);
  const rows = [{ build, kernel: build.startsWith('relaxed') ? 'peak (12 acc FMA, 1 thread)' : 'peak (12 acc mul+add, 1 thread)', shape: '', gflops: peak, ms: NaN, percentOfPeak: 100 }];
  const msOf = cases.map((_, i) => median(times[i]));
  const copy = cases.findIndex((c) => c.kernel.startsWith('copy'));
  const copyGBs = copy >= 0 ? cases[copy].bytes / (msOf[copy] / 1000) / 1e9 : NaN;
  cases.forEach((c, i) => {
    const ms = msOf[i];
    const gflops = c.flop / (ms / 1000) / 1e9;
    const gbs = c.bytes ? c.bytes / (ms / 1000) / 1e9 : NaN;
    const peerIndex = !c.peer && c.compare ? cases.findIndex((d) => d.peer && d.compare === c.compare) : -1;
    rows.push({
      build: c.peer ?? build, kernel: c.kernel, shape: c.shape, gflops, ms, percentOfPeak: c.peer || !c.flop ? NaN : (100 * gflops) / peak,
      gbs, percentOfCopy: (100 * gbs) / copyGBs, timeVsPeer: peerIndex >= 0 ? ms / msOf[peerIndex] : NaN,
    });
  });
  return rows;
}

/** TF.js with its wasm backend (XNNPACK), or null when bench/node_modules does not have it. */
export async function loadTfjsWasm() {
  try {
    const tf = await import('@tensorflow/tfjs');
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    await tf.ready();
    tf.env().set('IS_TEST', false);
    return tf;
  } catch {
    return null;
  }
}

const fmt = (v, d, unit = '') => (Number.isFinite(v) ? v.toFixed(d) + unit : '');
const HEAD = ['build', 'kernel', 'shape', 'ms', 'GFLOP/s', '% of peak', 'GB/s', '% of copy', 'time vs TF.js wasm'];
const cells = (r) => [
  r.build, r.kernel, r.shape, fmt(r.ms, 3), fmt(r.gflops, 2), fmt(r.percentOfPeak, 0, ' %'), fmt(r.gbs, 2), fmt(r.percentOfCopy, 0, ' %'), fmt(r.timeVsPeer, 2, '×'),
];

/** The rows as a Markdown table (the README's kernel section). */
export function kernelMarkdown(rows) {
  return [`| ${HEAD.join(' | ')} |`, `|${HEAD.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${cells(r).join(' | ')} |`)].join('\n');
}

function printTable(rows) {
  const head = HEAD;
  const body = rows.map(cells);
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
  const f = process.argv.indexOf('--filter');
  const filter = f > 0 ? new RegExp(process.argv[f + 1]) : null;
  const tf = await loadTfjsWasm();
  const rows = [];
  for (const simd of ['plain', 'relaxed']) {
    try {
      const info = await sn.ready({ simd, threads });
      const build = (info.relaxedSimd ? 'relaxed' : 'plain') + (info.threads > 1 ? ` x${info.threads}` : '');
      rows.push(...(await runKernelBench(sn, { build, rounds, tf, filter })));
    } catch (e) {
      console.error(`${simd}: ${e.message}${simd === 'relaxed' ? ' (run node with --experimental-wasm-relaxed-simd)' : ''}`);
    }
  }
  printTable(rows);
  sn.dispose();
}
