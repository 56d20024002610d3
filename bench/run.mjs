// `npm run bench` — simdnet against its peers in one Node process (see bench/harness.mjs for the method).
//
//   npm run bench                      full suite + kernels; writes bench/results/latest.{json,md} and the README section
//   npm run bench -- --quick           fewer, shorter repetitions (TF.js cpu training skipped); README untouched
//   npm run bench -- kernels           only the kernel micro-benchmark (bench/kernels.mjs)
//   npm run bench -- threads           only the thread-scaling bench (bench/threads.mjs; --max-threads=N --rounds=R)
//   npm run bench -- fragmented        only fit+predict on a fragmented heap (bench/fragmented.mjs; --rounds=R --holes=N)
//   npm run bench -- int8              only int8 quantization (bench/int8.mjs, simdnet/quantize): the MNIST convnet, fp32 vs int8, both builds
//   npm run bench -- winograd          only convnet inference before/after Winograd vs TF.js wasm, 2 vs 1 thread at batch 1 (bench/winograd.mjs; --rounds=R)
//   npm run bench -- winograd-tiles    only Winograd F(4x4,3x3) vs F(2x2,3x3) vs the kernel per conv shape, forward and training backward,
//                                      both builds, 1 thread (bench/winograd-tiles.mjs; --rounds=R --filter=RE)
//   npm run bench -- augment           only the augmentation layers' cost per training step (bench/augment.mjs; --rounds=R --steps=S --threads=T)
//   npm run bench -- graph             only the layer graph (bench/graph.mjs): sn.model vs Sequential chain, residual and inception models
//   npm run bench -- onnx              only PyTorch-exported ONNX models: simdnet/onnx loadOnnx vs ONNX Runtime Web on the same file (bench/pytorch-onnx.mjs; --rounds=R --batch=N)
//   npm run bench -- issue13           only issue 13's target ratios (bench/issue13.mjs: convnet/LeNet-5 vs TF.js wasm, training vs
//                                      PyTorch when /usr/bin/python3 has torch, 2 vs 1 thread, MobileNetV2; --rounds=R --no-mobilenet;
//                                      --latency-only: the 2-thread batch-1 ratio alone; --threads-only: both 2-thread ratios,
//                                      batch-1 latency and training)
//   npm run bench -- busy              only threads on a busy machine: 2 vs 1 thread while other processes keep every core busy,
//                                      with the thread pool's split governor and without (bench/busy.mjs; --hogs=N --pairs=P)
//   npm run bench -- thread-groups     only what the 2-thread figures are made of: each parallel group of the convnet's batch-1
//                                      predict and training step, its parts alone, in a row and split (bench/thread-groups.mjs; --rounds=R)
//   npm run bench -- compare --baseline=PATH
//                                      only this build against another build of simdnet (PATH: its dist/simdnet.js), both in
//                                      one process, every model and kernel case (bench/compare.mjs; --rounds=R --no-kernels --filter=RE)
//   options: --models=keras-convnet,lenet5  --libs=simdnet,tfjs-wasm,...  --no-readme  --readme  --no-cold
//            --readme-only (rewrite the README section from bench/results/latest.json)
//
// The peers live in bench/package.json (kept out of the top package) and are installed on first use.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const onlyKernels = args.includes('kernels');
const onlyThreads = args.includes('threads');
const onlyFragmented = args.includes('fragmented');
const onlyGraph = args.includes('graph');
const onlyInt8 = args.includes('int8');
const onlyWinograd = args.includes('winograd');
const onlyWinogradTiles = args.includes('winograd-tiles');
const onlyOnnx = args.includes('onnx');
const onlyAugment = args.includes('augment');
const onlyIssue13 = args.includes('issue13');
const onlyCompare = args.includes('compare');
const onlyBusy = args.includes('busy');
const onlyThreadGroups = args.includes('thread-groups');
const quick = flag('quick');
const log = (s) => console.log(s);

function ensurePeers() {
  if (existsSync(join(here, 'node_modules'))) return;
  log('bench: installing the peer libraries into bench/node_modules (first run only: npm ci --prefix bench)…');
  const r = spawnSync('npm', ['ci', '--prefix', here, '--no-audit', '--no-fund'], {
    stdio: 'inherit',
    // onnxruntime-node's postinstall would download GPU files (and fail offline); its CPU binary is bundled.
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
  });
  if (r.status !== 0) throw new Error('bench: installing the peers failed (npm ci --prefix bench); see above');
}

async function loadSimdnet() {
  const dist = join(root, 'dist', 'simdnet.js');
  if (!existsSync(dist)) throw new Error('bench: dist/simdnet.js is missing; run `npm run bench` (it builds first) or `npm run build`');
  return import(pathToFileURL(dist).href);
}

/**
 * The kernel micro-benchmark lives in bench/kernels.mjs (`runKernelBench(sn, { build })`). In the suite it runs
 * on the build the models ran on; `npm run bench -- kernels` runs it on both builds.
 */
async function runKernels(sn, builds = [null]) {
  const file = join(here, 'kernels.mjs');
  if (!existsSync(file)) return { error: 'bench/kernels.mjs is not there yet' };
  try {
    const { runKernelBench, loadTfjsWasm, kernelMarkdown } = await import(pathToFileURL(file).href);
    const tf = await loadTfjsWasm();
    const rows = [];
    for (const simd of builds) {
      const info = await sn.ready(simd ? { simd } : {});
      const build = info.build === 'simd' ? 'plain' : info.build;
      log(`  kernels on the ${build} build…`);
      const r = await runKernelBench(sn, { build, tf, ...(quick ? { rounds: 3, minMs: 50 } : {}) });
      rows.push(...(Array.isArray(r) ? r : []));
    }
    const peakRow = rows.find((r) => /^peak/.test(r.kernel));
    return { rows, markdown: kernelMarkdown(rows), peakGflops: peakRow?.gflops, peakBuild: peakRow?.build };
  } catch (e) {
    return { error: String(e?.message ?? e) };
  }
}

/**
 * Same-run wasm SIMD peak, single thread, on the build the models ran on: the kernel bench's median peak
 * (measured in rounds between kernels), else sn.ops.measurePeakGflops() now.
 */
async function measurePeak(sn, kernels) {
  const info = await sn.ready();
  if (Number.isFinite(kernels?.peakGflops)) {
    return { gflops: kernels.peakGflops, source: `assembly/peak.ts, 12 accumulators, ${kernels.peakBuild} build, 1 thread, median of the kernel bench's rounds` };
  }
  if (typeof sn.ops?.measurePeakGflops === 'function') {
    const gflops = sn.ops.measurePeakGflops(7, 40);
    if (Number.isFinite(gflops)) return { gflops, source: `sn.ops.measurePeakGflops(), ${info.build} build, 1 thread` };
  }
  return { error: 'no peak measurement available' };
}

/** `--readme-only`: rewrites the README section from bench/results/latest.json without measuring again. */
async function readmeFromLatest() {
  const { toMarkdown, METHOD } = await import('./report.mjs');
  const result = JSON.parse(readFileSync(join(here, 'results', 'latest.json'), 'utf8'));
  const command = result.command.split(' ').filter((a) => a !== '--readme' && a !== '--no-readme').join(' ').replace(/ --$/, '');
  updateReadme(toMarkdown(result, { command }), METHOD);
}

function updateReadme(markdown, method) {
  // Hand-written notes on where the time goes (from a profile), kept next to the code that measures.
  const notesFile = join(here, 'analysis.md');
  const notes = existsSync(notesFile) ? `\n${readFileSync(notesFile, 'utf8').trim()}\n` : '';
  const file = join(root, 'README.md');
  const text = readFileSync(file, 'utf8');
  const start = '<!-- bench:start -->', end = '<!-- bench:end -->';
  const a = text.indexOf(start), b = text.indexOf(end);
  if (a < 0 || b < a) { log('bench: README has no bench markers; not updated'); return; }
  const section = `${start}\n## Benchmark\n\nThe latest \`npm run bench\` on this repository's development machine (single thread everywhere;\nthe machine is shared, so figures move ±20–30 % between runs — compare ratios within one run).\n\n${markdown}\n${notes}\n${method}\n\nThe same suite runs in the browser: \`npm start\`, then open \`/bench/\`.\n${end}`;
  writeFileSync(file, text.slice(0, a) + section + text.slice(b + end.length));
  log('bench: README.md benchmark section updated');
}

/** Thread scaling (bench/threads.mjs): table into the README's threads section and results/threads.json. */
async function runThreads(sn, outDir) {
  const { runThreadBench, threadTable } = await import('./threads.mjs');
  const maxThreads = option('max-threads') ? Number(option('max-threads')) : undefined;
  const rounds = option('rounds') ? Number(option('rounds')) : quick ? 3 : 5;
  const result = await runThreadBench(sn, { maxThreads, rounds, log });
  const markdown = threadTable(result);
  writeFileSync(join(outDir, 'threads.json'), JSON.stringify(result, null, 2));
  log(`\n${markdown}`);
  if (!quick && !flag('no-readme')) {
    const file = join(root, 'README.md');
    const text = readFileSync(file, 'utf8');
    const start = '<!-- threads:start -->', end = '<!-- threads:end -->';
    const a = text.indexOf(start), b = text.indexOf(end);
    if (a >= 0 && b > a) {
      const command = `npm run bench -- threads${rounds !== 5 ? ` --rounds=${rounds}` : ''}${maxThreads ? ` --max-threads=${maxThreads}` : ''}`;
      writeFileSync(file, `${text.slice(0, a)}${start}\nCommand: \`${command}\`. ${markdown}\n${text.slice(b)}`);
      log('bench: README.md threads section updated');
    }
  }
  return result;
}

/** Fit + predict on a clean and on a fragmented heap (bench/fragmented.mjs); the table is logged. */
async function runFragmented(sn) {
  const { runFragmentedBench, fragmentedTable } = await import('./fragmented.mjs');
  const rounds = option('rounds') ? Number(option('rounds')) : quick ? 1 : 3;
  const holes = option('holes') ? Number(option('holes')) : 50_000;
  const rows = await runFragmentedBench([{ label: 'simdnet', sn }], { rounds, holes, log });
  const markdown = fragmentedTable(rows);
  log(`\n${markdown}`);
  return { rows, markdown };
}

/** int8 quantization (bench/int8.mjs): table to the log and results/int8.json. */
async function runInt8(sn, outDir) {
  const { runInt8Bench, int8Table } = await import('./int8.mjs');
  const rounds = option('rounds') ? Number(option('rounds')) : quick ? 3 : 7;
  const result = await runInt8Bench(sn, { rounds, minMs: quick ? 100 : 200, log });
  writeFileSync(join(outDir, 'int8.json'), JSON.stringify(result, null, 2));
  log(`\n${int8Table(result)}`);
  return result;
}

/** The layer graph (bench/graph.mjs): table into the README's graph section and results/graph.json. */
async function runGraph(sn, outDir) {
  const { runGraphBench, graphTable } = await import('./graph.mjs');
  const rounds = option('rounds') ? Number(option('rounds')) : quick ? 3 : 5;
  const result = await runGraphBench(sn, { rounds, minMs: quick ? 150 : 300, log });
  const markdown = graphTable(result);
  writeFileSync(join(outDir, 'graph.json'), JSON.stringify(result, null, 2));
  log(`\n${markdown}`);
  if (!quick && !flag('no-readme')) {
    const file = join(root, 'README.md');
    const text = readFileSync(file, 'utf8');
    const start = '<!-- graph:start -->', end = '<!-- graph:end -->';
    const a = text.indexOf(start), b = text.indexOf(end);
    if (a >= 0 && b > a) {
      const command = `npm run bench -- graph${rounds !== 5 ? ` --rounds=${rounds}` : ''}`;
      writeFileSync(file, `${text.slice(0, a)}${start}\nCommand: \`${command}\`. ${markdown}\n${text.slice(b)}`);
      log('bench: README.md graph section updated');
    }
  }
  return { ...result, markdown };
}

/** Issue 13's target ratios in one interleaved run (bench/issue13.mjs); prints the table, writes issue13.json. */
async function runIssue13(outDir) {
  const { runIssue13Bench, issue13Table } = await import('./issue13.mjs');
  const result = await runIssue13Bench({ rounds: Number(option('rounds') ?? (quick ? 1 : 3)), mobilenet: !flag('no-mobilenet'), latencyOnly: flag('latency-only'), threadsOnly: flag('threads-only'), log });
  result.markdown = issue13Table(result);
  log(result.markdown);
  writeFileSync(join(outDir, 'issue13.json'), JSON.stringify(result, null, 2));
  return result;
}

async function main() {
  if (flag('readme-only')) return readmeFromLatest();
  const sn = await loadSimdnet();
  const outDir = join(here, 'results');
  mkdirSync(outDir, { recursive: true });
  if (onlyKernels) {
    log('simdnet kernel benchmark, plain and relaxed SIMD builds side by side (one process, interleaved rounds), 1 thread');
    const { runKernelBenchBuilds, loadTfjsWasm, loadBuilds, kernelMarkdown } = await import('./kernels.mjs');
    const engines = await loadBuilds(pathToFileURL(join(root, 'dist', 'simdnet.js')).href, ['plain', 'relaxed']);
    const rows = await runKernelBenchBuilds(engines, { tf: await loadTfjsWasm(), log, ...(quick ? { rounds: 3, minMs: 50 } : {}) });
    const kernels = { rows, clock: rows.clock, loadAverage: rows.loadAverage, markdown: kernelMarkdown(rows) };
    log(kernels.markdown);
    writeFileSync(join(outDir, 'kernels.json'), JSON.stringify(kernels, null, 2));
    for (const e of engines) e.sn.dispose();
    return;
  }
  if (onlyThreads) {
    await runThreads(sn, outDir);
    return;
  }
  if (onlyGraph) {
    await runGraph(sn, outDir);
    return;
  }
  if (onlyInt8) {
    await runInt8(sn, outDir);
    return;
  }
  if (onlyWinograd) {
    // Issue 13: convnet inference before/after Winograd vs TF.js wasm, 2-thread batch-1 latency (bench/winograd.mjs).
    ensurePeers();
    const { runWinogradBench, winogradTable } = await import('./winograd.mjs');
    const result = await runWinogradBench(sn, { rounds: Number(option('rounds') ?? 5), log });
    log(winogradTable(result));
    writeFileSync(join(outDir, 'winograd.json'), JSON.stringify(result, null, 2));
    return;
  }
  if (onlyWinogradTiles) {
    // Issue 13: the tile-size thresholds of src/ops/conv.ts (conv2dPath, conv2dDwPath).
    const { runWinogradTilesBench, winogradTilesTable } = await import('./winograd-tiles.mjs');
    const rows = [];
    for (const simd of ['plain', 'relaxed']) {
      sn.dispose();
      await sn.ready({ simd, threads: 1 });
      rows.push(...await runWinogradTilesBench(sn, { rounds: Number(option('rounds') ?? 3), filter: option('filter') ?? null, log }));
    }
    log(winogradTilesTable(rows));
    writeFileSync(join(outDir, 'winograd-tiles.json'), JSON.stringify(rows, null, 2));
    return;
  }
  if (onlyOnnx) {
    // Issue 17: PyTorch-exported models through loadOnnx against ONNX Runtime Web on the same .onnx file.
    ensurePeers();
    const { runOnnxBench, onnxTable } = await import('./pytorch-onnx.mjs');
    const result = await runOnnxBench(sn, { rounds: Number(option('rounds') ?? 5), batch: Number(option('batch') ?? 64), log });
    log(onnxTable(result));
    writeFileSync(join(outDir, 'onnx.json'), JSON.stringify(result, null, 2));
    return;
  }
  if (onlyAugment) {
    // Issue 14: randomTranslation + randomRotation + randomZoom in front of the MNIST convnet, per training step.
    const { runAugmentBench, augmentTable } = await import('./augment.mjs');
    const result = await runAugmentBench(sn, { rounds: Number(option('rounds') ?? 3), steps: Number(option('steps') ?? 20), threads: Number(option('threads') ?? 1), log });
    log(`\n${augmentTable(result)}`);
    writeFileSync(join(outDir, 'augment.json'), JSON.stringify(result, null, 2));
    return;
  }
  if (onlyCompare) {
    const baseline = option('baseline');
    if (!baseline || !existsSync(baseline)) throw new Error('bench compare: --baseline=PATH must name another build\'s dist/simdnet.js (see bench/compare.mjs for how to build one)');
    const { runCompareBench, compareTable } = await import('./compare.mjs');
    const result = await runCompareBench({
      currentUrl: pathToFileURL(join(root, 'dist', 'simdnet.js')).href,
      baselineUrl: pathToFileURL(baseline).href,
      rounds: Number(option('rounds') ?? 5),
      kernels: !flag('no-kernels'),
      filter: option('filter') ? new RegExp(option('filter')) : null,
      log,
    });
    result.markdown = compareTable(result);
    log(`\n${result.markdown}`);
    writeFileSync(join(outDir, 'compare.json'), JSON.stringify({ baseline, ...result }, null, 2));
    return;
  }
  if (onlyThreadGroups) {
    const { runThreadGroupsBench, threadGroupsTable } = await import('./thread-groups.mjs');
    const result = await runThreadGroupsBench({ rounds: Number(option('rounds') ?? 7), log });
    result.markdown = threadGroupsTable(result);
    log(`\n${result.markdown}`);
    writeFileSync(join(outDir, 'thread-groups.json'), JSON.stringify(result, null, 2));
    return;
  }
  if (onlyBusy) {
    const { runBusyBench, busyTable } = await import('./busy.mjs');
    const result = await runBusyBench({ ...(option('hogs') ? { hogs: Number(option('hogs')) } : {}), pairs: Number(option('pairs') ?? 24), log });
    result.markdown = busyTable(result);
    log(`\n${result.markdown}`);
    writeFileSync(join(outDir, 'busy.json'), JSON.stringify(result, null, 2));
    return;
  }
  if (onlyIssue13) {
    ensurePeers();
    await runIssue13(outDir);
    return;
  }
  if (onlyFragmented) {
    const result = await runFragmented(sn);
    writeFileSync(join(outDir, 'fragmented.json'), JSON.stringify(result, null, 2));
    return;
  }
  ensurePeers();
  const [{ runSuite }, { nodeEnv }, { peersFor, PEER_IDS }, { MODELS }, { toMarkdown, METHOD }] = await Promise.all([
    import('./harness.mjs'), import('./node-env.mjs'), import('./peers/index.mjs'), import('./models.mjs'), import('./report.mjs'),
  ]);
  const env = nodeEnv();
  if (flag('no-cold')) delete env.coldStart;
  const libs = option('libs')?.split(',') ?? PEER_IDS;
  const models = option('models') ? MODELS.filter((m) => option('models').split(',').includes(m.id)) : MODELS;
  const peers = peersFor('node').filter((p) => libs.includes(p.id));
  log(`simdnet benchmark${quick ? ' (quick)' : ''}: ${models.map((m) => m.title).join(', ')}; ${peers.map((p) => p.id).join(', ')}`);

  const result = await runSuite({ env, peers, quick, log, models, skipTraining: quick ? ['tfjs-cpu'] : [] });
  log('\nKernels…');
  result.kernels = await runKernels(sn);
  if (result.kernels.error) log(`  kernels: ${result.kernels.error}`);
  result.peak = await measurePeak(sn, result.kernels);
  if (!quick && !option('libs') && !option('models')) {
    log('\nThreads…');
    result.threads = await runThreads(sn, outDir);
    await sn.ready({ threads: 1 });
    log('\nFragmented heap…');
    result.fragmented = await runFragmented(sn);
    log('\nLayer graph…');
    result.graph = await runGraph(sn, outDir);
    log('\nint8 quantization…');
    result.int8 = await runInt8(sn, outDir);
    log('\nIssue 13 targets…');
    result.issue13 = await runIssue13(outDir);
    await sn.ready({ threads: 1 });
  }
  result.environment.loadAverage1mEnd = (await import('node:os')).loadavg()[0];
  // Options that only choose where the report goes do not change the figures: leave them out of the command.
  const shown = args.filter((a) => a !== '--readme' && a !== '--no-readme');
  const command = `npm run bench${shown.length ? ` -- ${shown.join(' ')}` : ''}`;
  result.command = command;
  const markdown = toMarkdown(result, { command });
  writeFileSync(join(outDir, 'latest.json'), JSON.stringify(result, null, 2));
  writeFileSync(join(outDir, 'latest.md'), `${markdown}\n${METHOD}\n`);
  log(`\n${markdown}`);
  log('bench: wrote bench/results/latest.json and latest.md');
  const partial = option('libs') || option('models');
  if (flag('readme') || (!quick && !partial && !flag('no-readme'))) updateReadme(markdown, METHOD);
}

main().then(
  () => process.exit(0), // the peers keep handles (ORT threads, tfjs timers) open; the work is done
  (e) => { console.error(e?.stack ?? e); process.exit(1); },
);
