// Loads the embedded kernel module and holds the one engine every tensor and layer uses.
//
// `ready()` picks the fastest build the platform validates: relaxed SIMD (a real FMA in the GEMM and conv
// inner loops) when `WebAssembly.validate` accepts it, plain SIMD otherwise; with `threads > 1`, the build
// whose memory is shared, instantiated again in a pool of workers. The memory is created here and imported
// by the module, so JS owns it (and can share it between workers).
import { decodeBase64 } from './base64.js';
import { LinearAllocator } from './memory.js';
import { ThreadPool, type KernelCall } from './pool.js';
import { withSharedMemory } from './shared-memory-patch.js';
import * as binaries from './wasm-binaries.generated.js';

/** Every kernel takes and returns numbers: byte offsets, sizes and scalars. */
export type KernelExports = Record<string, (...args: number[]) => number>;

export type BuildName = 'simd' | 'relaxed' | 'threads' | 'relaxed-threads';

export interface ReadyOptions {
  /** 'auto' (default) picks relaxed SIMD when the platform supports it. */
  simd?: 'auto' | 'relaxed' | 'plain';
  /** Threads that run kernels, this one included: a number, or 'auto' for every core. Default 1. */
  threads?: number | 'auto';
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
}

export class Engine {
  private scratchOffset = -1;
  private scratchBytes = 0;

  constructor(
    readonly kernels: KernelExports,
    readonly heap: LinearAllocator,
    readonly info: EngineInfo,
    private readonly pool: ThreadPool | null,
  ) {}

  /** Threads available to `parallel` (1 without a pool). */
  get threads(): number {
    return this.pool ? this.pool.size : 1;
  }

  /**
   * Runs independent kernel calls, one per thread, and returns when all are done. Calls must not write
   * overlapping memory. Without a pool they simply run one after another.
   */
  parallel(calls: readonly KernelCall[]): void {
    if (this.pool && calls.length > 1) {
      for (let i = 0; i < calls.length; i += this.pool.size) this.pool.run(calls.slice(i, i + this.pool.size));
      return;
    }
    for (const [name, ...args] of calls) this.kernels[name](...args);
  }

  /**
   * One reusable scratch buffer for kernels that need temporary space (GEMM packing, im2col panels).
   * It only grows, so a training loop reaches its high-water mark in the first batch and stays there.
   * The returned offset is valid until the next call: never hold it across kernels.
   */
  scratch(bytes: number): number {
    if (this.scratchOffset < 0 || bytes > this.scratchBytes) {
      if (this.scratchOffset >= 0) this.heap.release(this.scratchOffset);
      this.scratchBytes = Math.max(bytes, this.scratchBytes * 2, 64);
      this.scratchOffset = this.heap.alloc(this.scratchBytes);
    }
    return this.scratchOffset;
  }

  /** Stops the workers, if any. */
  close(): void {
    this.pool?.close();
  }
}

const INITIAL_PAGES = 64; // 4 MiB; grows on demand
const MAX_PAGES = 65536; // the whole 4 GiB wasm32 address space
const MAX_SHARED_PAGES = binaries.sharedMaximumPages; // what the threaded builds declare (asconfig.json)

let current: Engine | null = null;
let pending: Promise<EngineInfo> | null = null;
let pendingKey = '';

type Binaries = Record<BuildName, Uint8Array<ArrayBuffer>>;
let binariesPromise: Promise<Binaries> | null = null;

// The builds are embedded deflate-compressed (half the bundle's size); DecompressionStream is a global in
// Node ≥ 18 and every current browser.
async function inflate(base64: string): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([decodeBase64(base64)]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function loadBinaries(): Promise<Binaries> {
  binariesPromise ??= (async () => {
    const [simd, relaxed] = await Promise.all([inflate(binaries.simdWasm), inflate(binaries.relaxedWasm)]);
    return {
      simd,
      relaxed,
      threads: withSharedMemory(simd, MAX_SHARED_PAGES),
      'relaxed-threads': withSharedMemory(relaxed, MAX_SHARED_PAGES),
    };
  })();
  return binariesPromise;
}

async function hardwareThreads(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  try {
    const os = await import('node:os');
    return os.availableParallelism?.() ?? os.cpus().length;
  } catch {
    return 1;
  }
}

function sharedMemorySupported(): boolean {
  try {
    const m = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    // Browsers that are not cross-origin isolated cannot send shared memory to a worker.
    const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
    return m.buffer.byteLength > 0 && isolated !== false;
  } catch {
    return false;
  }
}

/**
 * Instantiates the kernels. Idempotent: later calls with the same options return the same engine's info.
 * Asking for a different build or thread count replaces the engine (and invalidates every tensor made before).
 */
export async function ready(options: ReadyOptions = {}): Promise<EngineInfo> {
  return start(options, await loadBinaries());
}

function start(options: ReadyOptions, bytesOf: Binaries): Promise<EngineInfo> {
  if (!WebAssembly.validate(bytesOf.simd)) {
    return Promise.reject(new Error('simdnet: this platform has no WebAssembly SIMD (f32x4); it needs Node ≥ 16.4 or a browser from 2021 on'));
  }
  const relaxedSupported = WebAssembly.validate(bytesOf.relaxed);
  const choice = options.simd ?? 'auto';
  if (choice === 'relaxed' && !relaxedSupported) {
    return Promise.reject(new Error('simdnet: relaxed SIMD was requested but this platform does not support it'));
  }
  const relaxed = choice === 'relaxed' || (choice === 'auto' && relaxedSupported);
  const threadsSupported = sharedMemorySupported();
  if (options.threads === 'auto') {
    return hardwareThreads().then((n) => start({ ...options, threads: threadsSupported ? n : 1 }, bytesOf));
  }
  let threads = Math.floor(options.threads ?? 1);
  if (!(threads >= 1)) return Promise.reject(new Error(`simdnet: threads must be a positive integer or 'auto', got ${options.threads}`));
  if (!threadsSupported) threads = 1;
  const build: BuildName = threads > 1 ? (relaxed ? 'relaxed-threads' : 'threads') : relaxed ? 'relaxed' : 'simd';
  const key = `${build}/${threads}`;
  if (current && !pending && `${current.info.build}/${current.info.threads}` === key) return Promise.resolve(current.info);
  if (pending && pendingKey === key) return pending;
  pendingKey = key;
  pending = (async () => {
    const shared = threads > 1;
    const memory = new WebAssembly.Memory(
      shared ? { initial: INITIAL_PAGES, maximum: MAX_SHARED_PAGES, shared: true } : { initial: INITIAL_PAGES, maximum: MAX_PAGES },
    );
    const module = await WebAssembly.compile(bytesOf[build]);
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const kernels = instance.exports as unknown as KernelExports;
    const heap = new LinearAllocator(memory, kernels.heap_base());
    const pool = shared ? await ThreadPool.start(threads, module, memory, heap, kernels) : null;
    current?.close();
    current = new Engine(kernels, heap, { build, relaxedSimd: relaxed, relaxedSimdSupported: relaxedSupported, threads, threadsSupported }, pool);
    pending = null;
    return current.info;
  })();
  pending.catch(() => {
    pending = null;
  });
  return pending;
}

/** The running engine; throws a helpful error before `ready()` has resolved. */
export function engine(): Engine {
  if (!current) throw new Error('simdnet is not ready: call `await sn.ready()` once before using tensors or models');
  return current;
}

export function isReady(): boolean {
  return current !== null;
}

/** Stops the worker pool (if any). A later `ready()` starts a fresh engine. */
export function dispose(): void {
  current?.close();
  current = null;
}
