// Issue 13: Winograd F(4x4,3x3) against F(2x2,3x3) and the direct/im2col kernel, per conv shape: the forward
// (bias + relu fused) and the training backward (dx + dw + db, relu fused), one thread, each path forced in
// turn (sn.ops.forceConv2dPath), the order rotated each round; process CPU time (this machine is shared:
// wall time would count other processes' slices), medians of per-round ratios. The thresholds of conv2dPath
// / conv2dDwPath (src/ops/conv.ts) come from these figures.
//
//   npm run bench -- winograd-tiles [--rounds=R] [--filter=RE]
//   node [--experimental-wasm-relaxed-simd] bench/winograd-tiles.mjs [--rounds=R] [--filter=RE] [--simd=plain|relaxed]
import { pathToFileURL, fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { cpuNow, median, perCallSync, values } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));

// [label, N, H, W, C, F, pad]
export const TILE_CASES = [
  ['MNIST convnet conv2 (valid, 11x11 out)', 64, 13, 13, 32, 64, 0],
  ['N64 14x14 C16 F32 same', 64, 14, 14, 16, 32, 1],
  ['N64 14x14 C32 F32 same', 64, 14, 14, 32, 32, 1],
  ['N64 7x7 C64 F64 same', 64, 7, 7, 64, 64, 1],
  ['N64 6x6 C64 F64 valid (4x4 out)', 64, 6, 6, 64, 64, 0],
  ['N32 16x16 C64 F64 same', 32, 16, 16, 64, 64, 1],
  ['N8 28x28 C128 F128 same', 8, 28, 28, 128, 128, 1],
  ['N16 28x28 C16 F16 same', 16, 28, 28, 16, 16, 1],
  ['N1 26x26 C32 F64 valid', 1, 26, 26, 32, 64, 0],
  ['N64 14x14 C16 F64 same', 64, 14, 14, 16, 64, 1],
  ['N64 13x13 C16 F32 valid', 64, 13, 13, 16, 32, 0],
  ['N32 28x28 C32 F32 same', 32, 28, 28, 32, 32, 1],
  ['N64 4x4 C64 F64 same', 64, 4, 4, 64, 64, 1],
  ['N1 14x14 C64 F64 same', 1, 14, 14, 64, 64, 1],
  // Few channels: where F(4,3) applies, does it beat the kernel below F(2,3)'s thresholds?
  ['N16 28x28 C8 F16 same', 16, 28, 28, 8, 16, 1],
  ['N16 28x28 C4 F16 same', 16, 28, 28, 4, 16, 1],
  ['N16 28x28 C16 F8 same', 16, 28, 28, 16, 8, 1],
  ['N32 26x26 C16 F16 valid', 32, 26, 26, 16, 16, 0],
  ['N16 28x28 C8 F32 same', 16, 28, 28, 8, 32, 1],
  ['N64 13x13 C16 F16 valid', 64, 13, 13, 16, 16, 0],
  ['N1 28x28 C16 F16 same', 1, 28, 28, 16, 16, 1],
];

const PATHS = ['kernel', 'winograd', 'winograd4'];

/** CPU ms per call of f, repeated for at least minMs of CPU time after one warm-up call (at least 2 calls). */
const perCall = (f, minMs) => perCallSync(f, minMs, cpuNow);

export async function runWinogradTilesBench(sn, { rounds = 3, minMs = 150, filter = null, log = console.log } = {}) {
  const { ops } = sn;
  const info = await sn.ready({ threads: 1 });
  const build = info.build === 'simd' ? 'plain' : info.build;
  const rows = [];
  for (const [label, N, H, W, C, F, pad] of TILE_CASES) {
    if (filter && !new RegExp(filter).test(label)) continue;
    const g = { strideH: 1, strideW: 1, padTop: pad, padBottom: pad, padLeft: pad, padRight: pad, dilationH: 1, dilationW: 1 };
    const [OH, OW] = ops.conv2dOutputSize(H, W, 3, 3, g);
    const x = sn.tensor(values(N * H * W * C, 1), [N, H, W, C]);
    const w = sn.tensor(values(9 * C * F, 2).map((v) => v / Math.sqrt(C)), [3, 3, C, F]);
    const b = sn.tensor(values(F, 3), [F]);
    const y = sn.Tensor.empty([N, OH, OW, F]);
    const dy = sn.tensor(values(N * OH * OW * F, 4), [N, OH, OW, F]);
    const dx = sn.Tensor.empty(x.shape), dw = sn.Tensor.empty(w.shape), db = sn.Tensor.empty([F]);
    const plan = new ops.WinogradPlan();
    const fwd = () => ops.conv2dForward(x, w, b, y, g, 1, 0, plan);
    // The layer's training backward: the relu fused where Winograd takes dw, else masked dy then the kernel.
    const bwd = () => {
      if (!ops.conv2dBackwardRelu(x, w, y, dy, dx, dw, db, g, false, plan)) ops.conv2dBackward(x, w, dy, dx, dw, db, g, false, plan);
    };
    const t = { fwd: {}, bwd: {} };
    for (const p of PATHS) { t.fwd[p] = []; t.bwd[p] = []; }
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < PATHS.length; i++) {
        const p = PATHS[(i + r) % PATHS.length];
        ops.forceConv2dPath(p);
        t.fwd[p].push(perCall(fwd, minMs));
        t.bwd[p].push(perCall(bwd, minMs));
      }
    }
    ops.forceConv2dPath('auto');
    const ratio = (kind, a, bb) => median(t[kind][a].map((v, i) => v / t[kind][bb][i]));
    const row = {
      label, build,
      fwdMs: Object.fromEntries(PATHS.map((p) => [p, median(t.fwd[p])])),
      bwdMs: Object.fromEntries(PATHS.map((p) => [p, median(t.bwd[p])])),
      // > 1: F(4,3) faster.
      fwdF2overF4: ratio('fwd', 'winograd', 'winograd4'),
      bwdF2overF4: ratio('bwd', 'winograd', 'winograd4'),
      fwdKernelOverF4: ratio('fwd', 'kernel', 'winograd4'),
      bwdKernelOverF4: ratio('bwd', 'kernel', 'winograd4'),
    };
    rows.push(row);
    log(`  ${label} (${build}): fwd ms kernel ${row.fwdMs.kernel.toFixed(3)} F2 ${row.fwdMs.winograd.toFixed(3)} F4 ${row.fwdMs.winograd4.toFixed(3)} ` +
      `(F2/F4 ${row.fwdF2overF4.toFixed(2)}x); bwd ms kernel ${row.bwdMs.kernel.toFixed(3)} F2 ${row.bwdMs.winograd.toFixed(3)} ` +
      `F4 ${row.bwdMs.winograd4.toFixed(3)} (F2/F4 ${row.bwdF2overF4.toFixed(2)}x)`);
    plan.dispose();
    [x, w, b, y, dy, dx, dw, db].forEach((v) => v.dispose());
  }
  return rows;
}

export function winogradTilesTable(rows) {
  const f = (v, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '—');
  return [
    'Winograd tiles, 1 thread, process CPU time, medians (ratios: medians of per-round ratios; > 1 means F(4x4,3x3) faster).',
    '',
    '| case | build | fwd ms kernel / F(2,3) / F(4,3) | F(2,3) ÷ F(4,3) fwd | train bwd ms kernel / F(2,3) / F(4,3) | F(2,3) ÷ F(4,3) bwd |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.label} | ${r.build} | ${f(r.fwdMs.kernel, 3)} / ${f(r.fwdMs.winograd, 3)} / ${f(r.fwdMs.winograd4, 3)} | ${f(r.fwdF2overF4)}× | ` +
      `${f(r.bwdMs.kernel, 3)} / ${f(r.bwdMs.winograd, 3)} / ${f(r.bwdMs.winograd4, 3)} | ${f(r.bwdF2overF4)}× |`),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const sn = await import(pathToFileURL(join(here, '..', 'dist', 'simdnet.js')).href);
  const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const rows = [];
  for (const simd of arg('simd') ? [arg('simd')] : ['plain', 'relaxed']) {
    sn.dispose();
    await sn.ready({ simd, threads: 1 });
    rows.push(...await runWinogradTilesBench(sn, { rounds: Number(arg('rounds') ?? 3), filter: arg('filter') ?? null }));
  }
  console.log(winogradTilesTable(rows));
  sn.dispose();
}
