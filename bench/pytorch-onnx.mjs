// Issue 17: PyTorch-exported models (tests/fixtures/onnx, written by export.py with torch 1.13) through
// simdnet/onnx's loadOnnx against ONNX Runtime Web (wasm, SIMD) on the same .onnx file, in one process:
// outputs compared first, then inference timed in interleaved rounds (simdnet, ORT, simdnet, …), medians.
//
//   npm run bench -- onnx [--rounds=R] [--batch=N]
//   node [--experimental-wasm-relaxed-simd] bench/pytorch-onnx.mjs [--rounds=R] [--batch=N]
//
// Both take the NCHW batch the ONNX graph declares; simdnet permutes it to NHWC inside (its boundary layer,
// counted in its time). One thread each.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { perCall, median, values } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const FIXTURES = join(root, 'tests', 'fixtures', 'onnx');
const MODELS = ['lenet5', 'resnet', 'inception', 'grouped'];




export async function runOnnxBench(sn, { rounds = 5, batch = 64, minMs = 300, log = console.log } = {}) {
  const { loadOnnx } = await import(pathToFileURL(join(root, 'dist', 'onnx.js')).href);
  const ort = createRequire(join(here, 'package.json'))('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  await sn.ready({ threads: 1 });
  const manifest = JSON.parse(readFileSync(join(FIXTURES, 'fixtures.json'), 'utf8'));
  const rows = [];
  for (const id of MODELS) {
    const fx = manifest.models[id];
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, fx.file)));
    const model = await loadOnnx(bytes);
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const shape = [batch, ...fx.input.shape.slice(1)];
    const x = values(shape.reduce((a, b) => a * b, 1), 7);
    const xt = sn.tensor(x, shape);
    const feed = { [session.inputNames[0]]: new ort.Tensor('float32', x, shape) };
    const ours = () => model.predict(xt).dispose();
    const theirs = () => session.run(feed);
    // Same answers before any timing.
    const a = model.predict(xt);
    const av = a.dataSync().slice();
    a.dispose();
    const bv = (await theirs())[session.outputNames[0]].data;
    let worst = 0;
    for (let i = 0; i < av.length; i++) worst = Math.max(worst, Math.abs(av[i] - bv[i]) / Math.max(1, Math.abs(bv[i])));
    if (!(worst < 1e-4)) throw new Error(`bench onnx: ${id}: simdnet and ONNX Runtime Web differ by ${worst}`);
    const ms = { simdnet: [], ort: [] };
    for (let r = 0; r < rounds; r++) {
      ms.simdnet.push(await perCall(ours, minMs));
      ms.ort.push(await perCall(theirs, minMs));
    }
    const row = {
      model: id,
      input: shape,
      params: model.countParams(),
      simdnetMs: median(ms.simdnet),
      ortMs: median(ms.ort),
      maxRelDiff: worst,
    };
    row.ratio = row.ortMs / row.simdnetMs;
    rows.push(row);
    log(`  ${id} [${shape}]: simdnet ${row.simdnetMs.toFixed(2)} ms, ORT Web ${row.ortMs.toFixed(2)} ms (${row.ratio.toFixed(2)}×), max diff ${worst.toExponential(1)}`);
    xt.dispose();
    model.dispose();
    await session.release?.();
  }
  const info = await sn.ready();
  return { batch, rounds, build: info.build, ort: ort.env.versions?.web ?? ort.env.versions?.common, rows };
}

export function onnxTable(result) {
  const img = (ms) => Math.round((result.batch * 1000) / ms).toLocaleString('en-US');
  return [
    `PyTorch-exported models (tests/fixtures/onnx, torch 1.13) loaded from the same .onnx file; batch ${result.batch}, 1 thread,`,
    `simdnet ${result.build} build vs ONNX Runtime Web ${result.ort} (wasm); medians of ${result.rounds} interleaved rounds.`,
    '',
    '| model | input (NCHW) | params | simdnet (loadOnnx) img/s | ONNX Runtime Web img/s | simdnet ÷ ORT | max rel. diff |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...result.rows.map((r) => `| ${r.model} | ${r.input.join('×')} | ${r.params.toLocaleString('en-US')} | ${img(r.simdnetMs)} | ${img(r.ortMs)} | ${r.ratio.toFixed(2)}× | ${r.maxRelDiff.toExponential(1)} |`),
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const opt = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const sn = await import(pathToFileURL(join(root, 'dist', 'simdnet.js')).href);
  const result = await runOnnxBench(sn, { rounds: Number(opt('rounds') ?? 5), batch: Number(opt('batch') ?? 64) });
  console.log(onnxTable(result));
}
