// Kernel micro-benchmark: every kernel family, single thread, on the plain and relaxed SIMD builds side by side.
// Compute-bound kernels (GEMM, convolutions) report GFLOP/s and % of the same run's SIMD peak
// (assembly/peak.ts: mul+add in the plain build, FMA in the relaxed one); memory-bound ones (depthwise,
// pooling, batch norm, softmax-cross-entropy, optimizer steps, resampling, padding) report GB/s (bytes read +
// written once) against a plain copy measured in the same rounds. Where TF.js wasm (XNNPACK) has the op and
// bench/node_modules has TF.js, it is timed in the same rounds and each build's time is given as a ratio to it.
//
//   npm run build && node --experimental-wasm-relaxed-simd bench/kernels.mjs [--rounds 5] [--threads 2] [--filter depthwise]
//
// Both builds run in one process (two instances of dist/simdnet.js, each with its own engine), and each round
// times every case of both builds and the peers once, in a rotated order, so the slow phases of a noisy,
// shared machine hit all of them alike; figures are medians over rounds. Single-threaded runs are timed in
// process CPU time (time this process was descheduled does not count; the load average is printed too),
// and the peak is the best round's median of 9 short runs (the least disturbed); with --threads N they are
// timed by the wall clock, and the peak, and so the percentage, stays that of one thread.
//
// Targets: GEMM ≥ 60 %, conv2d forward ≥ 45 %, backward ≥ 35 % (first layers with one input channel do 9–25
// products per output value and cannot reach them); conv2dTranspose and conv3d forward ≥ 60 %, backward
// ≥ 40 % (issue 12); depthwise 3x3 forward ≤ 0.83× TF.js wasm's time.
import { loadavg } from 'node:os';
import { median } from './harness.mjs';

const now = () => performance.now();
const cpuNow = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

function randomValues(n, seed) {
  let s = seed >>> 0;
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = s / 2 ** 32 - 0.5;
  }
  return v;
}

function randomTensor(sn, shape, seed) {
  return sn.tensor(randomValues(shape.reduce((a, b) => a * b, 1), seed), shape);
}

// Calls fn until at least minMs of wall time has passed (and at least once); returns ms per call, by the
// process CPU clock when `cpu` (single-threaded runs), else by the wall clock.
function timeBlock(fn, minMs, cpu) {
  let iters = 0;
  const t0 = now();
  const c0 = cpu ? cpuNow() : 0;
  let t;
  do {
    fn();
    iters++;
    t = now() - t0;
  } while (t < minMs);
  return { ms: (cpu ? cpuNow() - c0 : t) / iters, wall: t / iters };
}

/**
 * The cases on the engine `sn` is ready with: { kernel, shape, flop, bytes?, compare?, run } each; with `tf`
 * (TF.js, wasm backend) also its cases, marked `peer`. `keep` collects tensors to dispose.
 */
export function makeCases(sn, tf, keep, peerKeep) {
  const { ops } = sn;
  const all = [];
  // TF.js counterpart of a case, when TF.js is loaded; a peer whose op fails is dropped at warm-up.
  const peer = (c, build) => {
    if (!tf) return;
    try {
      const run = build();
      all.push({ ...c, peer: 'TF.js wasm', run });
    } catch { /* op missing in this TF.js */ }
  };
  const tft = (t) => { const v = tf.tensor(t.dataSync(), t.shape); peerKeep.push(v); return v; };

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
  // The same conv with the 2x2 max pool after it as one kernel: predict's form, training's (winners kept),
  // and training's backward from the pooled gradient (src/model/conv-pool.ts).
  const p1 = keep(sn.Tensor.empty([N, 13, 13, 32]));
  const am1 = keep(sn.Tensor.empty([N, 13, 13, 32]));
  const dp1 = keep(randomTensor(sn, [N, 13, 13, 32], 16));
  const pooledShape = `${N}x28x28x1 3x3x32 valid, pool 2x2`;
  all.push({ kernel: 'conv2d + max pool forward', shape: pooledShape, flop: flop1, run: () => ops.conv2dForwardMaxPool2(x1, w1, b1, p1, valid, 1) });
  all.push({ kernel: 'conv2d + max pool forward, winners', shape: pooledShape, flop: flop1, run: () => ops.conv2dForwardMaxPool2(x1, w1, b1, p1, valid, 1, 0, am1) });
  all.push({ kernel: 'conv2d + max pool backward dw+db', shape: pooledShape, flop: flop1, run: () => ops.conv2dBackwardMaxPool2(x1, w1, dp1, am1, p1, dw1, db1, valid, true) });
  const w5 = keep(randomTensor(sn, [5, 5, 1, 6], 11));
  const y5 = keep(sn.Tensor.empty([N, 28, 28, 6]));
  all.push({ kernel: 'conv2d forward', shape: `${N}x28x28x1 5x5x6 same`, flop: 2 * N * 28 * 28 * 6 * 25, run: () => ops.conv2dForward(x1, w5, null, y5, same5, 1) });
  // LeNet-5's second conv: 6 input channels (not a multiple of 4), 5x5, 'valid'.
  const x6 = keep(randomTensor(sn, [N, 14, 14, 6], 14));
  const w6 = keep(randomTensor(sn, [5, 5, 6, 16], 15));
  const y6 = keep(sn.Tensor.empty([N, 10, 10, 16]));
  all.push({ kernel: 'conv2d forward', shape: `${N}x14x14x6 5x5x16 valid`, flop: 2 * N * 10 * 10 * 16 * 150, run: () => ops.conv2dForward(x6, w6, null, y6, valid, 1) });
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
      const c0 = { kernel: 'depthwise forward', shape, flop: 2 * o * o * c * 9, bytes: 4 * (hw * hw * c + o * o * c + 10 * c) };
      all.push({ ...c0, run: () => ops.depthwiseConv2dForward(xdw, wdw, bdw, ydw, gd, 1) });
      peer(c0, () => {
        const [tx, tw, tb] = [tft(xdw), tft(wdw), tft(bdw)];
        return () => tf.tidy(() => tf.fused.depthwiseConv2d({ x: tx, filter: tw, strides: s, pad: 'same', bias: tb, activation: 'relu' })).dispose();
      });
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
    peer({ kernel: 'conv2dTranspose forward', shape, flop: flopT }, () => {
      const [tx, tw] = [tft(xt), tft(wt)];
      return () => tf.tidy(() => tf.conv2dTranspose(tx, tw, [Nt, 2 * H0, 2 * H0, F0], 2, 'same')).dispose();
    });
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
    const dyp = keep(randomTensor(sn, [N3, D3 / 2, H3 / 2, H3 / 2, C3], 40));
    const vol = N3 * D3 * H3 * H3 * C3;
    const shape3 = `${N3}x${D3}x${H3}x${H3}x${C3} 2x2x2`;
    ops.maxPool3dForward(x3, yp, ap, p3);
    all.push({ kernel: 'maxPooling3d forward', shape: shape3, flop: 0, bytes: 4 * (vol + vol / 4), run: () => ops.maxPool3dForward(x3, yp, ap, p3) });
    all.push({ kernel: 'maxPooling3d backward', shape: shape3, flop: 0, bytes: 4 * (vol + vol / 4 + vol / 8), run: () => ops.maxPool3dBackward(dyp, ap, dx3) });
    all.push({ kernel: 'averagePooling3d forward', shape: shape3, flop: 0, bytes: 4 * (vol + vol / 8), run: () => ops.avgPool3dForward(x3, yp, p3) });
    all.push({ kernel: 'averagePooling3d backward', shape: shape3, flop: 0, bytes: 4 * (vol + vol / 8), run: () => ops.avgPool3dBackward(dyp, dx3, p3) });
  }
  {
    // Pooling 2D as in the MNIST convnet (64x28x28x32, 2x2 stride 2), a 3x3 stride-2 'same' window, and
    // LeNet-5's first pooling (6 channels: not a multiple of 4).
    const [Np, hw] = [64, 28];
    for (const [c, k, s, pad] of [[32, 2, 2, 0], [32, 3, 2, 1], [6, 2, 2, 0]]) {
      const xp = keep(randomTensor(sn, [Np, hw, hw, c], 41));
      const dxp = keep(sn.Tensor.empty([Np, hw, hw, c]));
      const img = Np * hw * hw * c;
      const o = Math.ceil(hw / s);
      const gp = { poolH: k, poolW: k, strideH: s, strideW: s, padTop: 0, padBottom: pad, padLeft: 0, padRight: pad };
      const yp = keep(sn.Tensor.empty([Np, o, o, c]));
      const ap = keep(sn.Tensor.empty([Np, o, o, c]));
      const dyp = keep(randomTensor(sn, [Np, o, o, c], 42));
      const out = Np * o * o * c;
      const shape = `${Np}x${hw}x${hw}x${c} ${k}x${k} s${s}${pad ? ' same' : ''}`;
      ops.maxPool2dForward(xp, yp, ap, gp);
      const mf = { kernel: 'maxPooling2d forward', shape, flop: 0, bytes: 4 * (img + 2 * out) };
      const af = { kernel: 'averagePooling2d forward', shape, flop: 0, bytes: 4 * (img + out) };
      all.push({ ...mf, run: () => ops.maxPool2dForward(xp, yp, ap, gp) });
      all.push({ kernel: 'maxPooling2d backward', shape, flop: 0, bytes: 4 * (img + 2 * out), run: () => ops.maxPool2dBackward(dyp, ap, dxp) });
      all.push({ ...af, run: () => ops.avgPool2dForward(xp, yp, gp) });
      all.push({ kernel: 'averagePooling2d backward', shape, flop: 0, bytes: 4 * (img + out), run: () => ops.avgPool2dBackward(dyp, dxp, gp) });
      peer(mf, () => { const tx = tft(xp); return () => tf.tidy(() => tf.maxPool(tx, k, s, pad ? 'same' : 'valid')).dispose(); });
      peer(af, () => { const tx = tft(xp); return () => tf.tidy(() => tf.avgPool(tx, k, s, pad ? 'same' : 'valid')).dispose(); });
    }
  }
  {
    // Batch norm over 16x56x56x32 (rows x channels), softmax-cross-entropy, optimizer steps over 1M parameters.
    const [rows, c] = [16 * 56 * 56, 32];
    const xb = keep(randomTensor(sn, [rows, c], 43));
    const yb = keep(sn.Tensor.empty([rows, c]));
    const dyb = keep(randomTensor(sn, [rows, c], 44));
    const dxb = keep(sn.Tensor.empty([rows, c]));
    const [gamma, beta, mean, invStd, mm, dgamma, dbeta] = [45, 46, 47, 48, 49, 51, 52].map((s) => keep(randomTensor(sn, [c], s)));
    const mv = keep(sn.tensor(new Float32Array(c).fill(1), [c]));
    ops.batchNormTrainForward(xb, gamma, beta, yb, mean, invStd, mm, mv, 0.99, 1e-3);
    const shape = `${rows}x${c}`;
    const n = rows * c;
    all.push({ kernel: 'batchNorm train forward', shape, flop: 0, bytes: 4 * 3 * n, run: () => ops.batchNormTrainForward(xb, gamma, beta, yb, mean, invStd, mm, mv, 0.99, 1e-3) });
    all.push({ kernel: 'batchNorm inference forward', shape, flop: 0, bytes: 4 * 2 * n, run: () => ops.batchNormInferForward(xb, gamma, beta, mm, mv, yb, 1e-3) });
    all.push({ kernel: 'batchNorm backward (dx+dγ+dβ)', shape, flop: 0, bytes: 4 * 4 * n, run: () => ops.batchNormBackward(xb, dyb, gamma, mean, invStd, dxb, dgamma, dbeta) });
    const bi = { kernel: 'batchNorm inference forward', shape, flop: 0, bytes: 4 * 2 * n };
    peer(bi, () => {
      const [tx, tg, tb, tm, tv] = [tft(xb), tft(gamma), tft(beta), tft(mm), tft(mv)];
      return () => tf.tidy(() => tf.batchNorm(tx, tm, tv, tb, tg, 1e-3)).dispose();
    });
  }
  for (const [rows, classes] of [[64, 10], [256, 1000]]) {
    const logits = keep(randomTensor(sn, [rows, classes], 53));
    const dlogits = keep(sn.Tensor.empty([rows, classes]));
    const labels = keep(sn.tensor(Float32Array.from({ length: rows }, (_, i) => (i * 7) % classes), [rows]));
    all.push({
      kernel: 'softmax-cross-entropy (loss+grad)', shape: `${rows}x${classes} sparse labels`, flop: 0, bytes: 4 * (2 * rows * classes + rows),
      run: () => ops.softmaxCrossEntropySparse(logits, labels, dlogits),
    });
  }
  {
    const n = 1 << 20;
    const [wo, go, vo, mo] = [54, 55, 56, 57].map((s) => keep(randomTensor(sn, [n], s)));
    const vv = keep(sn.tensor(new Float32Array(n).fill(0.01), [n]));
    const shape = `${n} parameters`;
    all.push({ kernel: 'sgd step', shape, flop: 0, bytes: 4 * 3 * n, run: () => ops.sgdUpdate(wo, go, null, 1e-9) });
    all.push({ kernel: 'sgd step, momentum 0.9', shape, flop: 0, bytes: 4 * 5 * n, run: () => ops.sgdUpdate(wo, go, vo, 1e-9, 0.9) });
    all.push({ kernel: 'adam step', shape, flop: 0, bytes: 4 * 7 * n, run: () => ops.adamUpdate(wo, go, mo, vv, 1e-9) });
  }
  {
    // Resampling and padding over 16x56x56x32 images; a plain copy is the bandwidth reference.
    const [Nr, hw, c] = [16, 56, 32];
    const xr = keep(randomTensor(sn, [Nr, hw, hw, c], 32));
    const up = keep(sn.Tensor.empty([Nr, 2 * hw, 2 * hw, c]));
    const dup = keep(randomTensor(sn, [Nr, 2 * hw, 2 * hw, c], 58));
    const dxr = keep(sn.Tensor.empty([Nr, hw, hw, c]));
    const cp = keep(sn.Tensor.empty([Nr, hw, hw, c]));
    const pd = keep(sn.Tensor.empty([Nr, hw + 2, hw + 2, c]));
    const img = Nr * hw * hw * c;
    const padded = Nr * (hw + 2) ** 2 * c;
    const shape = `${Nr}x${hw}x${hw}x${c}`;
    all.push({ kernel: 'copy (bandwidth reference)', shape, flop: 0, bytes: 8 * img, run: () => ops.copyInto(cp, xr) });
    for (const mode of ['nearest', 'bilinear']) {
      const f = { kernel: `upSampling2d ${mode} 2x forward`, shape, flop: 0, bytes: 4 * 5 * img };
      all.push({ ...f, run: () => ops.resizeForward(xr, up, mode) });
      all.push({ kernel: `upSampling2d ${mode} 2x backward`, shape, flop: 0, bytes: 4 * 5 * img, run: () => ops.resizeBackward(dup, dxr, mode) });
      peer(f, () => {
        const tx = tft(xr);
        return mode === 'nearest'
          ? () => tf.tidy(() => tf.image.resizeNearestNeighbor(tx, [2 * hw, 2 * hw])).dispose()
          : () => tf.tidy(() => tf.image.resizeBilinear(tx, [2 * hw, 2 * hw])).dispose();
      });
    }
    const zp = { kernel: 'zeroPadding2d 1', shape, flop: 0, bytes: 4 * (img + padded) };
    all.push({ ...zp, run: () => ops.padCrop2d(xr, pd, 1, 1) });
    all.push({ kernel: 'cropping2D 1', shape: `${Nr}x${hw + 2}x${hw + 2}x${c}`, flop: 0, bytes: 4 * 2 * img, run: () => ops.padCrop2d(pd, cp, -1, -1) });
    peer(zp, () => { const tx = tft(xr); return () => tf.tidy(() => tf.pad(tx, [[0, 0], [1, 1], [1, 1], [0, 0]])).dispose(); });
  }
  return all;
}

/**
 * Times the cases of every engine in `engines` ([{ sn, build }], each ready with its build) and the TF.js
 * peers in the same rounds. Returns rows { build, kernel, shape, ms, wallMs, gflops, percentOfPeak, gbs,
 * percentOfCopy, timeVsPeer }; each build's first row is its peak.
 */
export async function runKernelBenchBuilds(engines, { rounds = 5, minMs = 100, tf = null, filter = null, threads = 1, cpuClock = threads <= 1, log = () => {} } = {}) {
  const cpu = cpuClock;
  const tensors = [];
  const peerTensors = [];
  const keep = (t) => (tensors.push(t), t);
  const cases = [];
  engines.forEach((e, i) => {
    for (const c of makeCases(e.sn, i === 0 ? tf : null, keep, peerTensors)) cases.push({ ...c, build: c.peer ?? e.build, engine: e });
  });
  // Only the cases whose kernel name matches `filter` (a RegExp) are timed; the copy reference always is.
  let timed = cases.filter((c) => !filter || filter.test(c.kernel) || c.kernel.startsWith('copy'));
  timed = timed.filter((c) => {
    try { c.run(); return true; } catch (e) { log(`  ${c.build} ${c.kernel} ${c.shape}: ${String(e?.message ?? e).split('\n')[0]}`); return false; }
  }); // warm-up: tier-up, scratch growth
  for (const e of engines) e.sn.ops.measurePeakGflops(1, 20);
  const load0 = loadavg()[0];
  const peaks = engines.map(() => []);
  const times = timed.map(() => []);
  const walls = timed.map(() => []);
  for (let r = 0; r < rounds; r++) {
    // measurePeakGflops times by the wall clock. For CPU-clock runs it takes the median of 9 runs of 2 ms
    // (short enough to run undisturbed most of the time), and the peak is the best round's (below).
    engines.forEach((e, i) => peaks[i].push(cpu ? e.sn.ops.measurePeakGflops(9, 2) : e.sn.ops.measurePeakGflops(3, 30)));
    const order = timed.map((_, i) => i);
    for (let k = 0; k < (r * 7) % timed.length; k++) order.push(order.shift()); // rotate the order each round
    for (const i of order) {
      const t = timeBlock(timed[i].run, minMs, cpu);
      times[i].push(t.ms);
      walls[i].push(t.wall);
    }
  }
  const load1 = loadavg()[0];
  for (const t of tensors) t.dispose();
  for (const t of peerTensors) t.dispose();

  const msOf = timed.map((_, i) => median(times[i]));
  const rows = [];
  engines.forEach((e, ei) => {
    const peak = cpu ? Math.max(...peaks[ei]) : median(peaks[ei]);
    rows.push({ build: e.build, kernel: 'peak (12 accumulators; plain: mul+add, relaxed: FMA)', shape: '1 thread', gflops: peak, ms: NaN, percentOfPeak: 100 });
    const copy = timed.findIndex((c) => c.engine === e && !c.peer && c.kernel.startsWith('copy'));
    const copyGBs = copy >= 0 ? timed[copy].bytes / (msOf[copy] / 1000) / 1e9 : NaN;
    timed.forEach((c, i) => {
      if (c.engine !== e) return;
      const ms = msOf[i];
      const gflops = c.flop / (ms / 1000) / 1e9;
      const gbs = c.bytes ? c.bytes / (ms / 1000) / 1e9 : NaN;
      const p = c.peer ? -1 : timed.findIndex((d) => d.peer && d.kernel === c.kernel && d.shape === c.shape);
      rows.push({
        build: c.build, kernel: c.kernel, shape: c.shape, ms, wallMs: median(walls[i]), gflops: c.flop ? gflops : NaN,
        percentOfPeak: c.peer || !c.flop ? NaN : (100 * gflops) / peak, gbs, percentOfCopy: (100 * gbs) / copyGBs,
        timeVsPeer: p >= 0 ? ms / msOf[p] : NaN,
      });
    });
  });
  rows.clock = cpu ? 'process CPU time' : 'wall clock';
  rows.loadAverage = [load0, load1];
  return rows;
}

/**
 * The suite's single-build entry: the kernels on the build `sn` is ready with, by the wall clock like the
 * suite's model figures (and its peak, which they are compared with).
 */
export async function runKernelBench(sn, { build, rounds = 5, minMs = 100, tf = null, filter = null } = {}) {
  return runKernelBenchBuilds([{ sn, build }], { rounds, minMs, tf, filter, cpuClock: false });
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

/**
 * One instance of dist/simdnet.js per build (a query string makes each import a separate module, with its
 * own engine), each ready with its build: [{ sn, build }].
 */
export async function loadBuilds(distUrl, builds, threads = 1) {
  const engines = [];
  for (const simd of builds) {
    const sn = await import(`${distUrl}?build=${simd}`);
    try {
      const info = await sn.ready({ simd, threads });
      const build = (info.relaxedSimd ? 'relaxed' : 'plain') + (info.threads > 1 ? ` x${info.threads}` : '');
      engines.push({ sn, build });
    } catch (e) {
      console.error(`${simd}: ${e.message}${simd === 'relaxed' ? ' (run node with --experimental-wasm-relaxed-simd)' : ''}`);
    }
  }
  return engines;
}

const fmt = (v, d, unit = '') => (Number.isFinite(v) ? v.toFixed(d) + unit : '');

/**
 * The rows as a Markdown table with the builds side by side: per build its time, its rate (GFLOP/s and % of
 * peak for compute-bound kernels, GB/s and % of copy for memory-bound ones) and its time as a ratio to
 * TF.js wasm's; TF.js's own time in the last columns.
 */
export function kernelMarkdown(rows) {
  const { head, body } = sideBySide(rows);
  const notes = rows.clock ? `\n\nTimed by ${rows.clock}; load average ${rows.loadAverage.map((v) => v.toFixed(1)).join(' → ')} during the run.` : '';
  return [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`, ...body.map((b) => `| ${b.join(' | ')} |`)].join('\n') + notes;
}

function sideBySide(rows) {
  const builds = [...new Set(rows.filter((r) => r.kernel.startsWith('peak')).map((r) => r.build))];
  const peerName = rows.find((r) => !builds.includes(r.build))?.build;
  const key = (r) => `${r.kernel}\u0000${r.shape}`;
  const order = [];
  const by = new Map();
  for (const r of rows) {
    if (!by.has(key(r))) { by.set(key(r), {}); order.push(r); }
    by.get(key(r))[r.build] = r;
  }
  const rate = (r) => (!r ? '' : r.kernel.startsWith('peak') ? `${fmt(r.gflops, 1)} GFLOP/s` : Number.isFinite(r.gflops) && !Number.isFinite(r.gbs)
    ? `${fmt(r.gflops, 1)} GFLOP/s, ${fmt(r.percentOfPeak, 0, ' %')}`
    : Number.isFinite(r.gbs) ? `${fmt(r.gbs, 2)} GB/s, ${fmt(r.percentOfCopy, 0, ' %')}${Number.isFinite(r.gflops) && r.gflops > 0 ? ` (${fmt(r.percentOfPeak, 0, ' %')} of peak)` : ''}` : '');
  const head = ['kernel', 'shape'];
  for (const b of builds) head.push(`${b} ms`, `${b} rate`, ...(peerName ? [`${b} vs ${peerName}`] : []));
  if (peerName) head.push(`${peerName} ms`);
  const body = order.map((r0) => {
    const cells = by.get(key(r0));
    const line = [r0.kernel, r0.shape];
    for (const b of builds) {
      const r = cells[b];
      line.push(r ? fmt(r.ms, 3) : '', rate(r), ...(peerName ? [r ? fmt(r.timeVsPeer, 2, '×') : ''] : []));
    }
    if (peerName) line.push(cells[peerName] ? fmt(cells[peerName].ms, 3) : '');
    return line;
  });
  return { head, body };
}

function printTable(rows) {
  const { head, body } = sideBySide(rows);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
  if (rows.clock) console.log(`\nTimed by ${rows.clock}; load average ${rows.loadAverage.map((v) => v.toFixed(1)).join(' → ')}; % of peak: that build's peak; % of copy: that build's copy.`);
}

const isMain = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('kernels.mjs');
if (isMain) {
  const i = process.argv.indexOf('--rounds');
  const rounds = i > 0 ? Number(process.argv[i + 1]) : 5;
  const t = process.argv.indexOf('--threads');
  const threads = t > 0 ? Number(process.argv[t + 1]) : 1;
  const f = process.argv.indexOf('--filter');
  const filter = f > 0 ? new RegExp(process.argv[f + 1]) : null;
  const tf = await loadTfjsWasm();
  const engines = await loadBuilds(new URL('../dist/simdnet.js', import.meta.url).href, ['plain', 'relaxed'], threads);
  const rows = await runKernelBenchBuilds(engines, { rounds, tf, filter, threads, log: console.log });
  printTable(rows);
  for (const e of engines) e.sn.dispose();
}
