// Loads the embedded kernel module and holds the one engine every tensor and layer uses.
//
// `ready()` picks the fastest build the platform validates: relaxed SIMD (a real FMA in the GEMM and conv
// inner loops) when `WebAssembly.validate` accepts it, plain SIMD otherwise. The memory is created here
// and imported by the module, so JS owns it (and, for the threaded build, can share it between workers).
import { decodeBase64 } from './base64.js';
import { LinearAllocator } from './memory.js';
import * as binaries from './wasm-binaries.generated.js';

/** Every kernel takes and returns numbers: byte offsets, sizes and scalars. */
export type KernelExports = Record<string, (...args: number[]) => number>;

export type BuildName = 'simd' | 'relaxed';

export interface ReadyOptions {
  /** 'auto' (default) picks relaxed SIMD when the platform supports it. */
  simd?: 'auto' | 'relaxed' | 'plain';
}

export interface EngineInfo {
  /** Which kernel build runs: 'relaxed' (FMA) or 'simd' (plain SIMD). */
  build: BuildName;
  relaxedSimdSupported: boolean;
  threads: number;
}

export class Engine {
  private scratchOffset = -1;
  private scratchBytes = 0;

  constructor(
    readonly kernels: KernelExports,
    readonly heap: LinearAllocator,
    readonly info: EngineInfo,
  ) {}

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
}

const INITIAL_PAGES = 64; // 4 MiB; grows on demand
const MAX_PAGES = 65536; // the whole 4 GiB wasm32 address space

let current: Engine | null = null;
let pending: Promise<EngineInfo> | null = null;
let pendingBuild: BuildName | null = null;

const simdBytes = decodeBase64(binaries.simdWasm);
const relaxedBytes = decodeBase64(binaries.relaxedWasm);

function chooseBuild(choice: ReadyOptions['simd'], relaxedOk: boolean): BuildName {
  if (choice === 'plain') return 'simd';
  if (choice === 'relaxed') {
    if (!relaxedOk) throw new Error('simdnet: relaxed SIMD was requested but this platform does not support it');
    return 'relaxed';
  }
  return relaxedOk ? 'relaxed' : 'simd';
}

/**
 * Instantiates the kernels. Idempotent: later calls return the same engine's info. Asking for a different
 * build than the one running replaces the engine (and invalidates every tensor made before).
 */
export function ready(options: ReadyOptions = {}): Promise<EngineInfo> {
  if (!WebAssembly.validate(simdBytes)) {
    return Promise.reject(new Error('simdnet: this platform has no WebAssembly SIMD (f32x4); it needs Node ≥ 16.4 or a browser from 2021 on'));
  }
  const relaxedOk = WebAssembly.validate(relaxedBytes);
  const build = chooseBuild(options.simd ?? 'auto', relaxedOk);
  if (current && current.info.build === build) return Promise.resolve(current.info);
  if (pending && pendingBuild === build) return pending;
  pendingBuild = build;
  pending = (async () => {
    const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES });
    const module = await WebAssembly.compile(build === 'relaxed' ? relaxedBytes : simdBytes);
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const kernels = instance.exports as unknown as KernelExports;
    const heap = new LinearAllocator(memory, kernels.heap_base());
    current = new Engine(kernels, heap, { build, relaxedSimdSupported: relaxedOk, threads: 1 });
    pending = null;
    pendingBuild = null;
    return current.info;
  })();
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
