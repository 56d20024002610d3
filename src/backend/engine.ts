// Loads the embedded kernel module and holds the one engine every tensor and layer uses.
//
// `ready()` picks the fastest build the platform validates: relaxed SIMD (a real FMA in the GEMM and conv
// inner loops) when `WebAssembly.validate` accepts it, plain SIMD otherwise; with `threads > 1`, the build
// whose memory is shared, instantiated again in a pool of workers. The memory is created here and imported
// by the module, so JS owns it (and can share it between workers).
import { decodeBase91 } from './base91.js';
import { describeValue } from '../describe.js';
import { nodeBuiltin } from '../node-builtin.js';
import { inflateZlib } from './inflate.js';
import { applyWasmDelta } from './wasm-delta.js';
import { LinearAllocator } from './memory.js';
import { ThreadPool, type RawKernels } from './pool.js';
import { withSharedMemory } from './shared-memory-patch.js';
import * as binaries from './wasm-binaries.generated.js';
import type { KernelExports } from './kernels.generated.js';

/**
 * The kernel exports, typed from assembly/ at build time (scripts/build-wasm.mjs): tsc checks the name and
 * the count of positional arguments of every call.
 */
export type { KernelExports };
export type KernelName = keyof KernelExports;

/** One kernel call for `parallel`: its name and its arguments, checked against the kernel's signature. */
export type KernelCall = { [K in KernelName]: readonly [K, ...Parameters<KernelExports[K]>] }[KernelName];

export type BuildName = 'simd' | 'relaxed' | 'threads' | 'relaxed-threads';

export interface ReadyOptions {
  /** 'auto' (default) picks relaxed SIMD when the platform supports it. */
  simd?: 'auto' | 'relaxed' | 'plain';
  /**
   * Threads that run kernels, this one included: a positive integer (capped at the cores there are), or
   * 'auto' for every core. Default 1.
   */
  threads?: number | 'auto';
}

/**
 * A kernel module beside the main one, embedded as the main one is (scripts/build-wasm.mjs): the plain build
 * and the relaxed build as a delta against it, each deflated and basE91-encoded. simdnet/quantize's int8
 * kernels are one; `Engine.extend` instantiates it on the engine's memory.
 */
export interface KernelModuleSource {
  simdWasm: string;
  relaxedWasmDelta: string;
}

export interface EngineInfo {
  /** Which kernel build runs. */
  build: BuildName;
  /** Whether the inner loops use relaxed SIMD (FMA). */
  relaxedSimd: boolean;
  relaxedSimdSupported: boolean;
  /** Threads that run kernels (1 = no workers). */
  threads: number;
  /** Whether this platform can run threads at all (shared memory + workers). */
  threadsSupported: boolean;
  /** Why `threads` is fewer than asked for (capped at the cores, or threads cannot start here); absent otherwise. */
  threadsNote?: string;
}

export class Engine {
  /** Owned tensors made on this engine and not yet disposed (`sn.memoryInfo().liveTensors`). */
  liveTensors = 0;
  private closed = false;
  private scratchOffset = -1;
  private scratchBytes = 0;

  /** While a trace records (see `record`), the steps it has seen. */
  private recording: TraceStep[] | null = null;
  /** How many times scratch was (re)allocated while recording. */
  private scratchMoves = 0;
  private recordingKernels: KernelExports | null = null;
  /** While a trace records, the kernels themselves (`kernels` is then the recorder). */
  private realKernels: KernelExports | null = null;
  private recordingTemps: number[] = [];
  /** The kernel modules loaded by `extend`, by their source. */
  private readonly extensions = new Map<KernelModuleSource, Promise<void>>();

  constructor(
    public kernels: KernelExports,
    readonly heap: LinearAllocator,
    readonly info: EngineInfo,
    private pool: ThreadPool | null,
    /** The compiled kernel modules the engine runs (the main one first), which workers instantiate too. */
    private readonly modules: WebAssembly.Module[],
  ) {}

  /**
   * Loads another kernel module (simdnet/quantize's int8 kernels) onto this engine, once: it is instantiated on
   * the engine's memory, here and in every worker, and its kernels join `kernels`. A module so loaded must
   * have no static data (scripts/build-wasm.mjs checks), so it needs no memory of its own.
   */
  extend(source: KernelModuleSource): Promise<void> {
    let loaded = this.extensions.get(source);
    if (!loaded) {
      // One at a time: each restarts the pool with the modules loaded before it.
      loaded = Promise.all(this.extensions.values()).catch(() => undefined).then(() => this.instantiate(source));
      this.extensions.set(source, loaded);
      loaded.catch(() => this.extensions.delete(source));
    }
    return loaded;
  }

  private async instantiate(source: KernelModuleSource): Promise<void> {
    const module = await compileBuild(source, this.info.build);
    const instance = await WebAssembly.instantiate(module, { env: { memory: this.heap.memory } });
    if (this.closed) return;
    const kernels = { ...this.kernels, ...instance.exports } as unknown as KernelExports;
    this.modules.push(module);
    if (this.pool) {
      // Workers run a loop that takes no messages: start a new pool that has every module, then stop the old
      // one. Its slots stay allocated: a worker that has not exited yet may still look at its slot.
      const old = this.pool;
      this.pool = await ThreadPool.start(old.size, this.modules, this.heap.memory, this.heap, kernels as unknown as RawKernels);
      old.close();
      if (this.closed) this.pool.close();
    }
    this.kernels = kernels;
    this.recordingKernels = null;
  }

  /** Threads available to `parallel` (1 without a pool). */
  get threads(): number {
    return this.pool ? this.pool.size : 1;
  }

  /**
   * How the pool's parallel groups went (SplitGovernor.counts): split, waited on (this thread waited for a
   * worker), taken back (it ran a call no worker had claimed), lost (either, or a worker kept it waiting
   * longer than its own part), run on this thread while splitting was paused; `waitedMs`, this thread's waits
   * for workers added up. Null without a pool.
   */
  get splitCounts(): Readonly<{ groups: number; waited: number; takenBack: number; lost: number; serial: number; waitedMs: number }> | null {
    return this.pool ? this.pool.governor.counts : null;
  }

  /**
   * Wakes the pool's sleeping workers ahead of a burst of parallel calls (ThreadPool.wake): how many were
   * asleep (0 without a pool).
   */
  wakeWorkers(): number {
    return this.pool ? this.pool.wake() : 0;
  }

  /**
   * Runs independent kernel calls, one per thread, and returns when all are done. Calls must not write
   * overlapping memory. Without a pool they simply run one after another.
   */
  parallel(calls: readonly KernelCall[]): void {
    if (this.pool && calls.length > 1) {
      this.recording?.push({ calls: calls.map((c) => [...c] as unknown as KernelCall) });
      if (calls.length <= this.pool.size) this.pool.run(calls);
      else for (let i = 0; i < calls.length; i += this.pool.size) this.pool.run(calls.slice(i, i + this.pool.size));
      return;
    }
    const raw = this.kernels as unknown as RawKernels;
    for (const [name, ...args] of calls) raw[name](...args);
  }

  /**
   * One reusable scratch buffer for kernels that need temporary space (GEMM packing, im2col panels).
   * It only grows, so a training loop reaches its high-water mark in the first batch and stays there.
   * The returned offset is valid until the next call: never hold it across kernels.
   */
  scratch(bytes: number): number {
    if (this.scratchOffset < 0 || bytes > this.scratchBytes) {
      const want = Math.max(bytes, this.scratchBytes * 2, 64);
      const old = this.scratchOffset;
      // Forget the old block first: if the larger one cannot be had, no released offset stays behind.
      this.scratchOffset = -1;
      this.scratchBytes = 0;
      if (old >= 0) this.heap.release(old);
      this.scratchOffset = this.heap.alloc(want);
      this.scratchBytes = want;
      this.scratchMoves++;
    }
    return this.scratchOffset;
  }

  /**
   * Runs `f` and records every kernel call it makes (a call that returns a value is a size query and is
   * not kept; `parallel` groups are kept as groups), for inference plans (src/model/inference-plan.ts) to
   * replay with the same pointers. While recording, scratch comes from a block of the trace's own (freed
   * with `releaseTrace`), so later ops cannot move it; when it had to grow during the run, the run is
   * recorded again with the final size, so every recorded pointer is into the block the trace keeps.
   * `f` must be deterministic given shapes: what it decides from values it reads in JS is not recorded
   * (what must run afresh at each replay goes through `live`).
   * With `once` (a training step: it writes what it reads, so it cannot run twice), scratch starts at the
   * engine's own size and `f` runs once: when scratch had to grow anyway, `trace` is null (f's work is done).
   */
  record<T>(f: () => T, once = false): { result: T; trace: Trace | null } {
    if (this.recording) throw new Error('simdnet: engine.record: already recording');
    const saved = [this.scratchOffset, this.scratchBytes];
    const real = (this.realKernels = this.kernels);
    this.recordingKernels ??= recorder(real, (step) => this.recording?.push(step));
    let bytes = once ? Math.max(this.scratchBytes, 64) : 0;
    try {
      for (;;) {
        this.scratchOffset = -1;
        this.scratchBytes = 0;
        if (bytes > 0) this.scratch(bytes);
        this.scratchMoves = 0;
        this.recording = [];
        for (const t of this.recordingTemps) this.heap.release(t);
        this.recordingTemps = [];
        this.kernels = this.recordingKernels;
        let result: T;
        try {
          result = f();
        } finally {
          this.kernels = real;
        }
        const steps = this.recording;
        this.recording = null;
        if (this.scratchMoves <= (bytes > 0 ? 0 : 1)) {
          const trace = { steps, scratch: this.scratchOffset, temps: this.recordingTemps, engine: this };
          this.recordingTemps = [];
          this.scratchOffset = -1; // now the trace's
          return { result, trace };
        }
        if (once) {
          // The grown block becomes the engine's scratch, so a next recording starts at this size.
          if (saved[0] >= 0) this.heap.release(saved[0]);
          saved[0] = this.scratchOffset;
          saved[1] = this.scratchBytes;
          this.scratchOffset = -1;
          for (const t of this.recordingTemps) this.heap.release(t);
          this.recordingTemps = [];
          return { result, trace: null };
        }
        bytes = this.scratchBytes;
        this.heap.release(this.scratchOffset);
      }
    } catch (e) {
      if (this.scratchOffset >= 0) this.heap.release(this.scratchOffset);
      for (const t of this.recordingTemps) this.heap.release(t);
      this.recordingTemps = [];
      throw e;
    } finally {
      this.recording = null;
      this.kernels = real;
      [this.scratchOffset, this.scratchBytes] = saved;
    }
  }

  /**
   * Runs `f` now and, while a trace records, keeps it in the trace to run again at each replay: the JS a
   * recorded training step must redo every time (the loss read back, a dropout seed, the optimizer's update).
   * Its kernel calls are not recorded (they run again inside `f`); `f` must not allocate from an arena.
   */
  live(f: () => void): void {
    const steps = this.recording;
    if (!steps) return f();
    const kernels = this.kernels;
    this.recording = null;
    this.kernels = this.realKernels!;
    try {
      f();
    } finally {
      this.recording = steps;
      this.kernels = kernels;
    }
    steps.push({ run: f });
  }

  /**
   * Frees a temporary block (src/ops/temp.ts) — unless a trace is recording, whose calls may point into it:
   * then the trace keeps it until `releaseTrace`.
   */
  releaseTemp(offset: number): void {
    if (this.recording) this.recordingTemps.push(offset);
    else this.heap.release(offset);
  }

  /** Replays a recorded trace: the same kernels on the same pointers. */
  replay(trace: Trace): void {
    const steps = trace.steps;
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i];
      if (s.run) s.run();
      else this.parallel(s.calls!);
    }
  }

  /** Frees a trace's scratch block. */
  releaseTrace(trace: Trace): void {
    if (trace.engine === this && !this.closed) {
      if (trace.scratch >= 0) this.heap.release(trace.scratch);
      for (const t of trace.temps) this.heap.release(t);
    }
    trace.scratch = -1;
    trace.temps = [];
  }

  /**
   * True once this engine was replaced (`ready()` with other options) or disposed (`sn.dispose()`): its
   * tensors refuse every use, so none of them can read or write the memory of the engine that follows.
   */
  get retired(): boolean {
    return this.closed;
  }

  /** Stops the workers, if any, and retires the engine. */
  close(): void {
    this.closed = true;
    this.pool?.close();
  }
}

let choiceEpoch = 0;

/**
 * Bumped when a process-wide kernel choice changes (`forceConv2dPath`): recorded traces made under the old
 * choice are stale.
 */
export function bumpKernelChoices(): void {
  choiceEpoch++;
}

export function kernelChoiceEpoch(): number {
  return choiceEpoch;
}

/** One recorded kernel call, or one `parallel` group. */
export interface TraceStep {
  fn?: (...args: number[]) => unknown;
  args?: number[];
  /** fn bound to args, as replay calls it (0.02 µs a call; fn(...args) took 0.2). */
  run?: () => unknown;
  calls?: readonly KernelCall[];
}

/** What `engine.record` captured: the steps and the scratch block they point into. */
export interface Trace {
  steps: TraceStep[];
  scratch: number;
  /** Temporary blocks the steps point into (src/ops/temp.ts), kept while the trace lives. */
  temps: number[];
  engine: Engine;
}

// The kernels, each wrapped to report the calls that return nothing (those that write memory).
function recorder(real: KernelExports, push: (s: TraceStep) => void): KernelExports {
  const raw = real as unknown as RawKernels;
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(raw)) {
    const fn = raw[name];
    if (typeof fn !== 'function') {
      out[name] = fn;
      continue;
    }
    out[name] = (...args: number[]) => {
      const r = fn(...args);
      if (r === undefined) push({ fn, args, run: fn.bind(null, ...args) });
      return r;
    };
  }
  return out as unknown as KernelExports;
}

const INITIAL_PAGES = 64; // 4 MiB; grows on demand
const MAX_PAGES = 65536; // the whole 4 GiB wasm32 address space
const MAX_SHARED_PAGES = binaries.sharedMaximumPages; // what the threaded builds declare (asconfig.json)

let current: Engine | null = null;
// Every ready() call runs after the previous one has settled, so each decides against the engine that
// really runs, and two concurrent calls can never both install an engine.
let queue: Promise<unknown> = Promise.resolve();
const warned = new Set<string>();

type Binaries = Record<BuildName, Uint8Array<ArrayBuffer>>;
let binariesPromise: Promise<Binaries> | null = null;

// The builds are embedded zlib-compressed (a quarter of the bundle's size); see inflate.ts and wasm-delta.ts.
function inflate(text: string): Promise<Uint8Array<ArrayBuffer>> {
  return inflateZlib(decodeBase91(text));
}

/** Every build of an embedded kernel module, from its plain build and relaxed delta. */
async function decodeBuilds(source: KernelModuleSource): Promise<Binaries> {
  const [simd, relaxedDelta] = await Promise.all([inflate(source.simdWasm), inflate(source.relaxedWasmDelta)]);
  const relaxed = applyWasmDelta(simd, relaxedDelta);
  return {
    simd,
    relaxed,
    threads: withSharedMemory(simd, MAX_SHARED_PAGES),
    'relaxed-threads': withSharedMemory(relaxed, MAX_SHARED_PAGES),
  };
}

function loadBinaries(): Promise<Binaries> {
  binariesPromise ??= decodeBuilds(binaries);
  binariesPromise.catch(() => {
    binariesPromise = null;
  });
  return binariesPromise;
}

// Extension modules compiled once per process and build: a new engine of the same build reuses them.
const compiledExtensions = new WeakMap<KernelModuleSource, Map<BuildName, Promise<WebAssembly.Module>>>();

function compileBuild(source: KernelModuleSource, build: BuildName): Promise<WebAssembly.Module> {
  let byBuild = compiledExtensions.get(source);
  if (!byBuild) compiledExtensions.set(source, (byBuild = new Map()));
  let module = byBuild.get(build);
  if (!module) {
    module = decodeBuilds(source).then((builds) => WebAssembly.compile(builds[build]));
    byBuild.set(build, module);
    module.catch(() => byBuild.delete(build));
  }
  return module;
}

async function hardwareThreads(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  try {
    const os = await nodeBuiltin('os');
    return os.availableParallelism?.() ?? os.cpus().length;
  } catch {
    return 1;
  }
}

/** Why threads cannot start here, or null when they can. */
function threadsUnavailable(): string | null {
  const g = globalThis as { crossOriginIsolated?: boolean; SharedArrayBuffer?: unknown; Worker?: unknown; process?: { versions?: { node?: string } } };
  // Browsers that are not cross-origin isolated cannot send shared memory to a worker.
  if (g.crossOriginIsolated === false) {
    return 'the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)';
  }
  try {
    const m = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    if (!(m.buffer.byteLength > 0)) throw new Error('empty');
  } catch {
    return 'this platform has no shared WebAssembly memory (SharedArrayBuffer)';
  }
  if (typeof g.Worker !== 'function' && !g.process?.versions?.node) return 'this context cannot start Web Workers';
  return null;
}

/** A message printed once per process for each distinct reason. */
function warnOnce(text: string): void {
  if (warned.has(text)) return;
  warned.add(text);
  console.warn(text);
}

/** Checks `ready()`'s options; throws an Error naming the bad one. */
function checkOptions(options: unknown): ReadyOptions {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object') throw new Error(`simdnet.ready: options must be an object, got ${describeValue(options)}`);
  const { simd, threads } = options as Record<string, unknown>;
  if (simd !== undefined && simd !== 'auto' && simd !== 'relaxed' && simd !== 'plain') {
    throw new Error(`simdnet.ready: simd must be 'auto', 'relaxed' or 'plain', got ${describeValue(simd)}`);
  }
  if (threads !== undefined && threads !== 'auto' && !(typeof threads === 'number' && Number.isInteger(threads) && threads >= 1)) {
    throw new Error(`simdnet.ready: threads must be a positive integer or 'auto', got ${describeValue(threads)}`);
  }
  return options as ReadyOptions;
}

/**
 * Instantiates the kernels. Idempotent: a call without options (or with the options that already run)
 * returns the running engine's info; an option left out keeps what runs. Asking for another build or
 * thread count starts a new engine with a fresh memory — refused while any tensor (models hold theirs)
 * of the running engine is alive, since those tensors would lose their memory. Calls are serialised: each
 * promise reports the engine that was running when it settled.
 */
export function ready(options: ReadyOptions = {}): Promise<EngineInfo> {
  const run = queue.then(() => start(options));
  queue = run.catch(() => undefined);
  return run;
}

async function start(rawOptions: ReadyOptions): Promise<EngineInfo> {
  const options = checkOptions(rawOptions);
  const bytesOf = await loadBinaries();
  if (!WebAssembly.validate(bytesOf.simd)) {
    throw new Error('simdnet: this platform has no WebAssembly SIMD (f32x4); it needs Node ≥ 16.4 or a browser from 2021 on');
  }
  const relaxedSupported = WebAssembly.validate(bytesOf.relaxed);
  const running = current;
  const choice = options.simd ?? (running ? (running.info.relaxedSimd ? 'relaxed' : 'plain') : 'auto');
  if (choice === 'relaxed' && !relaxedSupported) {
    throw new Error('simdnet: relaxed SIMD was requested but this platform does not support it');
  }
  const relaxed = choice === 'relaxed' || (choice === 'auto' && relaxedSupported);

  const notes: string[] = [];
  const asked = options.threads ?? running?.info.threads ?? 1;
  let threads = 1;
  const unavailable = asked === 1 ? null : threadsUnavailable();
  if (unavailable) {
    notes.push(`threads cannot start: ${unavailable}; running on 1 thread`);
  } else if (asked !== 1) {
    const cores = await hardwareThreads();
    threads = asked === 'auto' ? cores : Math.min(asked, cores);
    if (asked !== 'auto' && asked > cores) notes.push(`${asked} threads were asked for; capped at the ${cores} cores there are`);
  }
  const threadsNote = notes.length ? notes.join('; ') : undefined;
  if (threadsNote) warnOnce(`simdnet: ${threadsNote}`);

  const build: BuildName = threads > 1 ? (relaxed ? 'relaxed-threads' : 'threads') : relaxed ? 'relaxed' : 'simd';
  if (running && running.info.build === build && running.info.threads === threads) return running.info;
  refuseSwitchWhileAlive(running, build, threads);

  const shared = threads > 1;
  const memory = new WebAssembly.Memory(
    shared ? { initial: INITIAL_PAGES, maximum: MAX_SHARED_PAGES, shared: true } : { initial: INITIAL_PAGES, maximum: MAX_PAGES },
  );
  const module = await WebAssembly.compile(bytesOf[build]);
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  // A plain object, not the exports object: `extend` adds the kernels of other modules to it.
  const kernels = { ...instance.exports } as unknown as KernelExports;
  const heap = new LinearAllocator(memory, kernels.heap_base(), (shared ? MAX_SHARED_PAGES : MAX_PAGES) * 65536);
  const pool = shared ? await ThreadPool.start(threads, [module], memory, heap, kernels as unknown as RawKernels) : null;
  const info: EngineInfo = { build, relaxedSimd: relaxed, relaxedSimdSupported: relaxedSupported, threads, threadsSupported: !threadsUnavailable() };
  if (threadsNote) info.threadsNote = threadsNote;
  const next = new Engine(kernels, heap, info, pool, [module]);
  // Tensors may have been made on the old engine while this one was compiling.
  try {
    refuseSwitchWhileAlive(current, build, threads);
  } catch (e) {
    next.close();
    throw e;
  }
  current?.close();
  current = next;
  return next.info;
}

function refuseSwitchWhileAlive(running: Engine | null, build: BuildName, threads: number): void {
  if (!running || running.retired || running.liveTensors === 0) return;
  const n = running.liveTensors;
  throw new Error(
    `simdnet.ready: cannot switch from the ${running.info.build} engine (${running.info.threads} thread${running.info.threads > 1 ? 's' : ''}) ` +
      `to ${build} (${threads} thread${threads > 1 ? 's' : ''}) while ${n} tensor${n > 1 ? 's are' : ' is'} alive: a new engine has a new memory. ` +
      'Dispose them first (tensor.dispose(), model.dispose() for models), or call sn.dispose() to drop everything.',
  );
}

/** The running engine; throws a helpful error before `ready()` has resolved. */
export function engine(): Engine {
  if (!current) throw new Error('simdnet is not ready: call `await sn.ready()` once before using tensors or models');
  return current;
}

export function isReady(): boolean {
  return current !== null;
}

/** Owned tensors alive on the running engine (0 before `ready()`). */
export function liveTensorCount(): number {
  return current ? current.liveTensors : 0;
}

/**
 * Stops the worker pool (if any) and drops the engine with its memory. Every tensor and model made before
 * becomes unusable: using one throws, disposing one does nothing. A later `ready()` starts a fresh engine.
 */
export function dispose(): void {
  current?.close();
  current = null;
}
