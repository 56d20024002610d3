// Winograd's forward split across threads (src/ops/winograd.ts, winogradParts): by output tiles where they
// are many; where they are few (batch 1: the MNIST convnet's second conv has 9 tiles) whole blocks of 4 tiles
// each and the tiles left over by filters ('mixed'). Every
// part computes each of its outputs as the whole call does, so on the threaded build the result must equal
// the single-threaded one bit for bit — with the filters transformed per call, and packed once in a layer's
// plan (the products then read them as they are). Each case must really split, the way it says (else the
// comparison proves nothing); every result is also checked against the float64 reference.
import { describe, it, expect, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { engine, type KernelCall } from '../../src/backend/engine.js';
import { rng } from '../helpers/random.js';
import { conv2dCase, expectClose, outputSize, referenceBackward, referenceForward } from '../helpers/conv-reference.js';
import { WinogradPlan } from '../../src/ops/winograd.js';

afterAll(() => {
  sn.ops.forceConv2dPath('auto');
  sn.dispose();
});

interface WinogradSpec {
  x: [number, number, number, number]; F: number; pad: number; path: 'winograd' | 'winograd4'; act: 0 | 1;
  /** How the 2-thread engine splits it. */
  split: 'tiles' | 'mixed';
}

const cases: WinogradSpec[] = [
  // The MNIST convnet's conv2 at batch 1: 9 tiles of 4x4 (3 GEMM blocks) → a block each, the 9th tile by filters.
  { x: [1, 13, 13, 32], F: 64, pad: 0, path: 'winograd4', act: 1, split: 'mixed' },
  // Channels not a multiple of 4, filters not a multiple of 8 (the last part's panel is partial), 'same'.
  { x: [1, 9, 9, 37], F: 47, pad: 1, path: 'winograd4', act: 0, split: 'mixed' },
  // F(2,3): 36 tiles (9 blocks) of an 11x11 output, 64 filters → 4 blocks each, the last 4 tiles by filters.
  { x: [1, 13, 13, 32], F: 64, pad: 0, path: 'winograd', act: 1, split: 'mixed' },
  // Many tiles (batch 3, non-square): by tiles, parts in multiples of 4 tiles.
  { x: [3, 17, 10, 21], F: 40, pad: 1, path: 'winograd4', act: 1, split: 'tiles' },
];

const r = rng(31);
const fill = (n: number) => Float32Array.from({ length: n }, () => r() * 2 - 1);
const data = cases.map((c) => ({ x: fill(c.x.reduce((a, b) => a * b)), w: fill(9 * c.x[3] * c.F), b: fill(c.F) }));

/**
 * Every case on the current engine: outputs, and per case the winograd calls of its widest parallel group.
 * `planned`: through a layer's plan (the filters transformed and packed once), else transformed per call.
 */
function runAll(planned = false): { out: Float32Array[]; groups: KernelCall[][]; packParts: number } {
  const e = engine();
  const parallel = e.parallel.bind(e);
  let widest: KernelCall[] = [];
  let packParts = 0;
  e.parallel = (calls) => {
    if (calls[0][0] === 'winograd_forward_f32' && calls.length > widest.length) widest = [...calls];
    if (calls[0][0] === 'winograd_pack_filters_f32') packParts = Math.max(packParts, calls.length);
    parallel(calls);
  };
  const out: Float32Array[] = [];
  const groups: KernelCall[][] = [];
  try {
    cases.forEach((c, i) => {
      widest = [];
      sn.ops.forceConv2dPath(c.path);
      const [N, , , C] = c.x;
      const [, OH, OW] = outputSize(caseOf(c));
      const x = sn.tensor(data[i].x, c.x), w = sn.tensor(data[i].w, [3, 3, C, c.F]), b = sn.tensor(data[i].b, [c.F]);
      const y = sn.Tensor.empty([N, OH, OW, c.F]);
      const g = { strideH: 1, strideW: 1, padTop: c.pad, padBottom: c.pad, padLeft: c.pad, padRight: c.pad, dilationH: 1, dilationW: 1 };
      const plan = planned ? new WinogradPlan() : null;
      sn.ops.conv2dForward(x, w, b, y, g, c.act, 0, plan);
      out.push(y.dataSync());
      groups.push(widest);
      [x, w, b, y, plan].forEach((t) => t?.dispose());
    });
    return { out, groups, packParts };
  } finally {
    e.parallel = parallel;
    sn.ops.forceConv2dPath('auto');
  }
}

const caseOf = (c: WinogradSpec) => conv2dCase(c.x, [3, 3], c.F, [1, 1], [c.pad, c.pad, c.pad, c.pad]);

/** Output tiles of a case: N · ⌈OH/m⌉ · ⌈OW/m⌉. */
function tilesOf(c: WinogradSpec): number {
  const m = c.path === 'winograd4' ? 4 : 2;
  const [, OH, OW] = outputSize(caseOf(c));
  return c.x[0] * Math.ceil(OH / m) * Math.ceil(OW / m);
}

// winograd_forward_f32's arguments after the name: x u b y N H W C F OH OW pt pl t0 tn f0 fn t1 tn1 f1 fn1 act
// alpha m packed pool scratch.
const range = (call: KernelCall) => ({
  t0: call[14], tn: call[15], f0: call[16], fn: call[17], t1: call[18], tn1: call[19], f1: call[20], fn1: call[21], packed: call[25],
});

describe.each(['plain', 'relaxed'] as const)('Winograd forward split across threads (%s SIMD)', (simd) => {
  it('gives bitwise the single-threaded results, split by filters where the tiles are few', async () => {
    await sn.ready({ threads: 1, simd });
    const single = runAll();
    expect(single.groups.every((g) => g.length <= 1)).toBe(true);
    cases.forEach((c, i) => {
      const ref = referenceForward(caseOf(c), Float64Array.from(data[i].x), Float64Array.from(data[i].w), Float64Array.from(data[i].b))
        .map((v) => (c.act === 1 ? Math.max(v, 0) : v));
      expectClose(single.out[i], ref, `case ${i}`);
    });
    expect(runAll(true).out.every((v, i) => v.every((x, j) => Object.is(x, single.out[i][j]))), 'planned, 1 thread').toBe(true);
    for (const threads of [2, 3]) {
      await sn.ready({ threads, simd });
      for (const planned of [false, true]) {
        const split = runAll(planned);
        // The plan packs U once, split by positions (a copy: bitwise the same whatever the split).
        expect(split.packParts, 'pack parts').toBe(planned ? Math.min(threads, 2) : 0);
        cases.forEach((c, i) => {
          const parts = split.groups[i].map(range);
          expect(parts.length, `case ${i}, ${threads} threads: parts`).toBeGreaterThan(1);
          expect(parts.every((p) => p.packed === +planned), `case ${i}: packed filters`).toBe(true);
          // The parts cover every (tile, filter) once.
          const tiles = tilesOf(c);
          expect(parts.reduce((s, p) => s + p.tn * p.fn + p.tn1 * p.fn1, 0), `case ${i}: coverage`).toBe(tiles * c.F);
          // On 2 threads a part's tiles left over (split by filters) are next to its run of tiles, so a batch-1
          // part reads neighbouring rows.
          if (threads === 2) {
            for (const p of parts.filter((q) => q.tn > 0 && q.tn1 > 0)) {
              expect(p.t1 === p.t0 + p.tn || p.t1 + p.tn1 === p.t0, `case ${i}: tiles [${p.t0}, +${p.tn}) and [${p.t1}, +${p.tn1})`).toBe(true);
            }
          }
          if (threads === 2) {
            const kind = parts.every((p) => p.fn1 === 0) ? 'tiles' : parts.every((p) => p.tn > 0) ? 'mixed' : 'other';
            expect(kind, `case ${i}: split`).toBe(c.split);
          }
          const same = split.out[i].length === single.out[i].length && split.out[i].every((v, j) => Object.is(v, single.out[i][j]));
          expect(same, `case ${i} with ${threads} threads${planned ? ', planned' : ''}`).toBe(true);
        });
      }
    }
  });
});

describe('Winograd backward on threads', () => {
  // Parts by images (each its own dU), then the filter transform (for dx) split by channels and the finish
  // split by (c, f) pairs: against float64 on 1, 2 and 3 threads, each of those groups really split.
  const [N, H, W, C, F] = [3, 10, 9, 35, 60];
  const cc = conv2dCase([N, H, W, C], [3, 3], F, [1, 1], [1, 1, 1, 1]);
  const [xs, ws] = [fill(N * H * W * C), fill(9 * C * F)];
  const [, OH, OW] = outputSize(cc);
  const dys = fill(N * OH * OW * F);
  const ref = referenceBackward(cc, Float64Array.from(xs), Float64Array.from(ws), Float64Array.from(dys));

  it.each([1, 2, 3])('gives dx, dw, db of float64 on %i threads', async (threads) => {
    await sn.ready({ threads, simd: 'plain' });
    const e = engine();
    const parallel = e.parallel.bind(e);
    const widths = new Map<string, number>();
    e.parallel = (calls) => {
      widths.set(calls[0][0], Math.max(widths.get(calls[0][0]) ?? 0, calls.length));
      parallel(calls);
    };
    try {
      for (const path of ['winograd', 'winograd4'] as const) {
        sn.ops.forceConv2dPath(path);
        const x = sn.tensor(xs, [N, H, W, C]), w = sn.tensor(ws, [3, 3, C, F]), dy = sn.tensor(dys, [N, OH, OW, F]);
        const [dx, dw, db] = [sn.Tensor.empty([N, H, W, C]), sn.Tensor.empty([3, 3, C, F]), sn.Tensor.empty([F])];
        const g = { strideH: 1, strideW: 1, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, dilationH: 1, dilationW: 1 };
        sn.ops.conv2dBackward(x, w, dy, dx, dw, db, g);
        expectClose(dx.dataSync(), ref.dx, `${path} dx`);
        expectClose(dw.dataSync(), ref.dw, `${path} dw`);
        expectClose(db.dataSync(), ref.db, `${path} db`);
        [x, w, dy, dx, dw, db].forEach((t) => t.dispose());
      }
    } finally {
      e.parallel = parallel;
      sn.ops.forceConv2dPath('auto');
    }
    for (const kernel of ['winograd_backward_f32', 'winograd_filter_f32', 'winograd_dw_finish_f32']) {
      expect(widths.get(kernel), kernel).toBe(engine().threads); // threads beyond the cores are capped
    }
  });
});

describe.each([2, 4] as const)('Winograd F(%i,3) pieces that threads run in ranges', (m) => {
  // The filter transform by channels and the weight-gradient finish by (c, f) pairs: any ranges that cover
  // the whole give the whole call's bits (5 channels, 7 filters: nothing is a multiple of 4).
  const C = 5, F = 7, P = (m + 2) ** 2;
  const k = () => engine().kernels;

  it('transforms the filters the same in channel ranges, plain and flipped', async () => {
    await sn.ready({ threads: 1, simd: 'plain' });
    const w = sn.tensor(fill(9 * C * F), [3, 3, C, F]);
    const [whole, pieces] = [sn.Tensor.empty([P, C, F]), sn.Tensor.empty([P, C, F])];
    for (const flipped of [0, 1]) {
      k().winograd_filter_f32(w.ptr, whole.ptr, C, F, m, 0, C, flipped);
      pieces.set(new Float32Array(P * C * F).fill(NaN));
      for (const [c0, cn] of [[3, 2], [0, 1], [1, 2]]) k().winograd_filter_f32(w.ptr, pieces.ptr, C, F, m, c0, cn, flipped);
      const [a, b] = [whole.dataSync(), pieces.dataSync()];
      expect(a.some((v) => v !== 0)).toBe(true);
      expect(b.every((v, i) => Object.is(v, a[i])), `flipped ${flipped}`).toBe(true);
    }
    [w, whole, pieces].forEach((t) => t.dispose());
  });

  it('finishes dw and db the same in pair ranges, overwriting and accumulating', async () => {
    await sn.ready({ threads: 1, simd: 'plain' });
    const parts = 3;
    const partFloats = k().winograd_dw_part_bytes(C, F, m) / 4;
    const dU = fill(parts * partFloats);
    const start = fill(9 * C * F + F);
    const run = (ranges: number[][], accumulate: boolean) => {
      const dwp = sn.tensor(dU, [parts * partFloats]);
      const dw = sn.tensor(start.subarray(0, 9 * C * F), [3, 3, C, F]), db = sn.tensor(start.subarray(9 * C * F), [F]);
      for (const [i0, iN] of ranges) k().winograd_dw_finish_f32(dwp.ptr, parts, dw.ptr, db.ptr, C, F, accumulate ? 1 : 0, m, i0, iN);
      const out = [...dw.dataSync(), ...db.dataSync()];
      [dwp, dw, db].forEach((t) => t.dispose());
      return out;
    };
    for (const accumulate of [false, true]) {
      const whole = run([[0, C * F]], accumulate);
      const pieces = run([[20, C * F - 20], [0, 9], [9, 11]], accumulate);
      expect(pieces.every((v, i) => Object.is(v, whole[i])), `accumulate ${accumulate}`).toBe(true);
      // db: the parts' sums (after the P planes of dU), added once — by the range holding pair 0.
      const dbStart = P * C * F;
      for (let f = 0; f < F; f++) {
        const sum = Math.fround(Math.fround(dU[dbStart + f] + dU[partFloats + dbStart + f]) + dU[2 * partFloats + dbStart + f]);
        expect(whole[9 * C * F + f]).toBe(accumulate ? Math.fround(start[9 * C * F + f] + sum) : sum);
      }
    }
  });
  it('packs U and U_ξᵀ the same in position ranges', async () => {
    await sn.ready({ threads: 1, simd: 'plain' });
    // C, F past one 8-wide panel and one 4-deep step, neither a multiple of them.
    const [Cp, Fp] = [13, 21];
    const u = sn.tensor(fill(P * Cp * Fp), [P, Cp, Fp]);
    const packs = [['winograd_pack_filters_f32', k().winograd_packed_filter_bytes(Cp, Fp, m)], ['winograd_pack_filters_t_f32', k().winograd_packed_filter_t_bytes(Cp, Fp, m)]] as const;
    for (const [kernel, bytes] of packs) {
      expect(bytes, kernel).toBeGreaterThan(0);
      const [whole, pieces] = [sn.Tensor.empty([bytes / 4]), sn.tensor(new Float32Array(bytes / 4).fill(NaN), [bytes / 4])];
      whole.set(new Float32Array(bytes / 4).fill(NaN));
      k()[kernel](u.ptr, whole.ptr, Cp, Fp, m, 0, P);
      const ranges = [[P - 3, 3], [0, 5], [5, P - 8]];
      k()[kernel](u.ptr, pieces.ptr, Cp, Fp, m, ranges[0][0], ranges[0][1]);
      // A range writes its positions only (each packs into bytes / P).
      expect(pieces.dataSync().subarray(0, (P - 3) * bytes / 4 / P).every((v) => Number.isNaN(v)), `${kernel}: outside its range`).toBe(true);
      for (const [xi0, xin] of ranges.slice(1)) k()[kernel](u.ptr, pieces.ptr, Cp, Fp, m, xi0, xin);
      const [a, b] = [whole.dataSync(), pieces.dataSync()];
      // Every value of U is in the packed copy (the rest is padding).
      expect(new Set(a).size, kernel).toBeGreaterThan(P * Cp * Fp / 2);
      expect(b.every((v, i) => Object.is(v, a[i])), kernel).toBe(true);
      [whole, pieces].forEach((t) => t.dispose());
    }
    u.dispose();
  });
});
