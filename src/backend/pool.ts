// A pool of workers that run kernels on the engine's shared memory, for the threaded builds.
//
// The hand-off is synchronous, so ops stay plain function calls: `run(calls)` posts calls 1..n-1 to the
// workers through slots in shared memory (Atomics.notify for those asleep), runs call 0 on this thread, then
// sleeps in Atomics.wait until every worker has stored its `done`. Idle workers sleep in Atomics.wait: no core burns.
// Where this thread may not block (a browser's main thread), it spins only while its workers are busy.
// When workers keep this thread waiting (their cores busy with other work), splitting pauses for a while
// and calls run here one after another (split-governor.ts).
import { SLOT_ARGS, WORKER_SOURCE } from './worker-source.js';
import { nodeBuiltin } from '../node-builtin.js';
import type { LinearAllocator } from './memory.js';
import { SplitGovernor } from './split-governor.js';

// 32 bytes of words, then the arguments as f64.
const SLOT_BYTES = 32 + 8 * SLOT_ARGS;
// Iterations to poll for a result, or (workers, slot word 6) for the next call, before sleeping in Atomics.wait
// (a wake-up costs tens of µs; 20000 polls are ~0.2 ms here).
const SPIN = 20000;

/**
 * Calls `fn` with call[1..32] (SLOT_ARGS) as its arguments, as fn(...call.slice(1)) would (a wasm export ignores
 * the arguments past its parameters; those past the call are undefined either way): written out because a
 * spread of a fresh array took 0.3 µs a call here, 0.07 µs this way.
 */
function invoke(fn: (...args: number[]) => unknown, c: KernelCall): void {
  fn(c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12], c[13], c[14], c[15], c[16], c[17],
    c[18], c[19], c[20], c[21], c[22], c[23], c[24], c[25], c[26], c[27], c[28], c[29], c[30], c[31], c[32]);
}

/** A call as the pool moves it: a kernel name and numbers (engine.ts types calls per kernel). */
export type KernelCall = readonly [kernel: string, ...args: number[]];
/** The kernel exports as the pool sees them: any name, numbers in and out. */
export type RawKernels = Record<string, (...args: number[]) => number>;

interface WorkerHandle {
  postMessage(message: unknown): void;
  terminate(): unknown;
}

export class ThreadPool {
  private readonly words: Int32Array;
  private readonly args: Float64Array;
  private readonly seq: number[] = [];
  /** The argument count of each worker's last call (those past it are 0 in its slot). */
  private readonly argc: number[] = [];
  private readonly canBlock: boolean;
  private closed = false;
  private spin = -1;
  /** Decides when splitting stopped paying (workers held up by other load): then calls run here. */
  readonly governor = new SplitGovernor();

  private constructor(
    private readonly workers: WorkerHandle[],
    private readonly slotBase: number,
    memory: WebAssembly.Memory,
    private readonly kernelIndex: Map<string, number>,
    private readonly kernels: RawKernels,
  ) {
    this.words = new Int32Array(memory.buffer);
    this.args = new Float64Array(memory.buffer);
    for (let i = 0; i < workers.length; i++) this.seq.push(0), this.argc.push(0);
    this.canBlock = canAtomicsWait(this.words);
    this.setSpin(SPIN);
  }

  /** Starts `threads - 1` workers (this thread is the last one) on the kernel modules and their shared memory. */
  static async start(
    threads: number,
    modules: readonly WebAssembly.Module[],
    memory: WebAssembly.Memory,
    heap: LinearAllocator,
    kernels: RawKernels,
  ): Promise<ThreadPool> {
    const names = Object.keys(kernels).filter((k) => typeof kernels[k] === 'function').sort();
    const count = threads - 1;
    // The slots live at a fixed low address for the engine's lifetime (allocated first, never freed).
    const slotBase = heap.alloc(Math.max(count, 1) * SLOT_BYTES);
    heap.u8.fill(0, slotBase, slotBase + Math.max(count, 1) * SLOT_BYTES);
    const workers: WorkerHandle[] = [];
    const started: Promise<void>[] = [];
    for (let w = 0; w < count; w++) {
      const { worker, ready } = await spawn();
      workers.push(worker);
      worker.postMessage({ modules, memory, names, slot: slotBase + w * SLOT_BYTES, slotBytes: SLOT_BYTES });
      started.push(ready);
    }
    await Promise.all(started);
    return new ThreadPool(workers, slotBase, memory, new Map(names.map((n, i) => [n, i])), kernels);
  }

  /** Number of threads that run kernels, this one included. */
  get size(): number {
    return this.workers.length + 1;
  }

  /** Runs the calls in parallel (at most `size` of them) and returns when all are done. */
  run(calls: readonly KernelCall[]): void {
    if (this.closed) throw new Error('simdnet: the thread pool was disposed');
    if (calls.length > this.size) throw new Error(`simdnet: ${calls.length} parallel calls for a pool of ${this.size} threads`);
    // Three clock reads a group where nothing goes wrong (each ~0.07 µs, on this thread's critical path).
    const start = now();
    if (calls.length > 1 && !this.governor.allowsSplit(start)) {
      // Splitting paused (SplitGovernor): the same calls, one after another on this thread; the workers sleep
      // rather than poll (on a busy machine their polling takes CPU time from this thread).
      this.setSpin(0);
      for (const call of calls) invoke(this.kernels[call[0]], call);
      return;
    }
    if (calls.length > 1) this.setSpin(SPIN);
    let asleep = 0; // bit i - 1: worker i was asleep in Atomics.wait when its call was posted
    for (let i = 1; i < calls.length; i++) if (this.post(i - 1, calls[i])) asleep |= 1 << (i - 1);
    // Posting is slow only where it woke a sleeper (which may run on this core first): timed then alone.
    const posted = asleep ? now() : start;
    let failure: unknown = null;
    try {
      if (calls.length > 0) invoke(this.kernels[calls[0][0]], calls[0]);
    } catch (e) {
      failure = e;
    }
    const ownEnd = now();
    let waited = 0;
    let waitingSince = ownEnd; // the time spent waiting: all but the calls taken back and run here
    let takenBack = 0;
    for (let i = 1; i < calls.length; i++) {
      if (this.takeBack(i - 1)) {
        // The worker has not picked its call up yet (asleep, or its core busy with other work): run it here
        // rather than wait for it — on a loaded machine a split then costs little more than no split. Only a
        // worker that was awake counts against splitting: one asleep is slow to wake (tens of µs) anyway.
        if (!(asleep & (1 << (i - 1)))) takenBack++;
        waited += now() - waitingSince;
        try {
          invoke(this.kernels[calls[i][0]], calls[i]);
        } catch (e) {
          failure ??= e;
        }
        waitingSince = now();
      } else if (!this.wait(i - 1)) failure ??= new Error(`simdnet: kernel ${calls[i][0]} failed in worker ${i}`);
    }
    if (calls.length > 1) {
      const end = now();
      this.governor.report(posted - start, ownEnd - posted, waited + end - waitingSince, takenBack, end);
    }
    if (failure) throw failure;
  }

  /**
   * Wakes the workers asleep in Atomics.wait so they spin again (~0.2 ms) with no call: done just before a
   * burst of parallel calls (a training step), so its first call does not pay their wake-up (~50 µs: the
   * MNIST convnet's first conv in a 2-thread step). Returns how many were asleep.
   */
  wake(): number {
    if (this.governor.paused(now())) return 0; // the burst will run on this thread: let them sleep
    let woken = 0;
    for (let i = 0; i < this.workers.length; i++) woken += Atomics.notify(this.words, (this.slotBase + i * SLOT_BYTES) >> 2);
    return woken;
  }

  /** How many times the workers poll for their next call before they sleep (slot word 6). */
  private setSpin(spin: number): void {
    if (spin === this.spin) return;
    this.spin = spin;
    for (let i = 0; i < this.workers.length; i++) Atomics.store(this.words, ((this.slotBase + i * SLOT_BYTES) >> 2) + 6, spin);
  }

  /** Hands a call to a worker; true when the worker was asleep (or about to sleep: the notify wakes it). */
  private post(worker: number, call: KernelCall): boolean {
    const name = call[0];
    const count = call.length - 1;
    const index = this.kernelIndex.get(name);
    if (index === undefined) throw new Error(`simdnet: no kernel named ${name}`);
    if (count > SLOT_ARGS) throw new Error(`simdnet: kernel ${name} has ${count} arguments; the pool carries ${SLOT_ARGS}`);
    const slot = this.slotBase + worker * SLOT_BYTES;
    const w = slot >> 2;
    const at = (slot + 32) >> 3;
    this.words[w + 2] = index;
    this.words[w + 3] = count;
    for (let i = 1; i <= count; i++) this.args[at + i - 1] = call[i] as number;
    // The worker passes all SLOT_ARGS slots (worker-source.ts): those past this call's arguments read as 0, not
    // as what the call before left (on this thread an i32 argument left out is 0 too).
    // (Only those the worker's last call used: a replayed trace posts the same kernel each time.)
    if (this.argc[worker] > count) this.args.fill(0, at + count, at + this.argc[worker]);
    this.argc[worker] = count;
    this.seq[worker] = (this.seq[worker] + 1) | 0;
    Atomics.store(this.words, w, this.seq[worker]);
    // Notified only when it sleeps (word 7, set before its Atomics.wait, which then sees the new seq if it
    // missed this store): a notify costs ~60 ns where a load costs ~10.
    if (!Atomics.load(this.words, w + 7)) return false;
    Atomics.notify(this.words, w);
    return true;
  }

  /** Claims a worker's current call for this thread; false when the worker has claimed it (slot word 5). */
  private takeBack(worker: number): boolean {
    const w = (this.slotBase + worker * SLOT_BYTES) >> 2;
    const seq = this.seq[worker];
    const before = (seq - 1) | 0;
    return Atomics.compareExchange(this.words, w + 5, before, seq) === before;
  }

  /** Waits for a worker's current call; false if it threw. */
  private wait(worker: number): boolean {
    const w = (this.slotBase + worker * SLOT_BYTES) >> 2;
    const target = this.seq[worker];
    for (let spin = 0; ; spin++) {
      const done = Atomics.load(this.words, w + 1);
      if (done === target) break;
      if (this.canBlock && spin > SPIN) Atomics.wait(this.words, w + 1, done);
    }
    return this.words[w + 4] === 0;
  }

  /** Stops the workers. The engine stays usable on this thread alone. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (let i = 0; i < this.workers.length; i++) {
      const w = (this.slotBase + i * SLOT_BYTES) >> 2;
      this.words[w + 2] = -1;
      this.seq[i] = (this.seq[i] + 1) | 0;
      Atomics.store(this.words, w, this.seq[i]);
      Atomics.notify(this.words, w);
    }
    for (const worker of this.workers) worker.terminate();
  }
}

const now = (): number => performance.now();

function canAtomicsWait(words: Int32Array): boolean {
  try {
    Atomics.wait(words, 0, 1, 0); // throws on a browser's main thread
    return true;
  } catch {
    return false;
  }
}

const isNode = typeof process === 'object' && typeof process.versions === 'object' && !!process.versions.node;

async function spawn(): Promise<{ worker: WorkerHandle; ready: Promise<void> }> {
  if (isNode) {
    const { Worker } = await nodeBuiltin('worker_threads');
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    // Workers never keep a Node process alive: it exits by itself when the user's work is done.
    worker.unref();
    const ready = new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    return { worker, ready };
  }
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  const worker = new Worker(url);
  const ready = new Promise<void>((resolve, reject) => {
    worker.onmessage = () => resolve();
    worker.onerror = (e) => reject(new Error(`simdnet: worker failed to start: ${e.message}`));
  });
  return { worker, ready };
}
