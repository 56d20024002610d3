// The source of a pool worker, as a string: the bundle stays one file, and the same text starts a Node
// worker_thread (`eval: true`) or a browser Web Worker (from a Blob URL). The build minifies the string
// (rollup.config.mjs), which must therefore be plain text (no ${} in it).
//
// A worker instantiates the kernel modules (the main one, and those `Engine.extend` added) on the shared
// memory, then waits on its slot's sequence number: it polls first (layers issue kernels back to back, and a
// futex wake costs tens of µs), then sleeps in Atomics.wait, so an idle pool burns no core. For each group of
// calls the engine writes the calls into the queue, bumps every slot's sequence and notifies the workers that
// sleep; a worker joins the group, takes calls from the queue until none is left, stores the sequence into
// `done` and notifies back.
// Slot layout (i32 words from slot start): 0 seq, 1 done, 2 exit (-1), 3 unused, 4 error flag, 5 claim,
// 6 spin (how many times to poll for the next group before sleeping: 0 while the pool has paused splitting,
// split-governor.ts), 7 asleep (1 from just before its Atomics.wait to its waking).
// A worker joins a group by moving `claim` from seq − 1 to seq; the engine's thread, done with the calls,
// moves it first for a worker that has not joined (asleep, or its core busy), which then finds it taken and
// goes on waiting: so a worker never reads a queue that a later group is writing.
// The queue: i32 words 0 next, 1 count, then from byte 8 one entry a call, QUEUE_ENTRY_BYTES each: its kernel
// index (i32), then its arguments as f64 from byte 8 of the entry (an f64 holds any i32 offset or f32 scalar
// exactly). A thread takes the call at `next` with Atomics.add. Every argument is passed, written out (the
// engine zeroes those past the call's own): an apply of Array.from(a.subarray(0, argc)) took 1.2 µs a call,
// on the critical path of every split group.
/** Arguments a call carries (the int8 direct conv takes 30, the most of any kernel); the worker below passes each, written out. */
export const SLOT_ARGS = 32;
/** Bytes of a queued call: its kernel index (and 4 bytes to align), then SLOT_ARGS arguments as f64. */
export const QUEUE_ENTRY_BYTES = 8 + 8 * SLOT_ARGS;

export const WORKER_SOURCE = `
(async () => {
const isNode = typeof process === 'object' && typeof process.versions === 'object' && !!process.versions.node;
// A dynamic import works whether Node runs this text as a script or as a module.
const port = isNode ? (await import('node:worker_threads')).parentPort : self;
const listen = (fn) => isNode ? port.once('message', fn) : (self.onmessage = (e) => { self.onmessage = null; fn(e.data); });
listen(async ({ modules, memory, names, slot, queue, queueCalls, entryBytes }) => {
  const exports = {};
  for (const module of modules) Object.assign(exports, (await WebAssembly.instantiate(module, { env: { memory } })).exports);
  const fns = names.map((n) => exports[n]);
  const words = new Int32Array(memory.buffer, slot, 8);
  const q = new Int32Array(memory.buffer, queue, 2 + queueCalls * (entryBytes >> 2));
  // Each entry's arguments (SLOT_ARGS of them), from byte 8 of the entry.
  const args = Array.from({ length: queueCalls }, (_, i) => new Float64Array(memory.buffer, queue + 16 + i * entryBytes, 32));
  port.postMessage('ready');
  let seen = 0;
  for (;;) {
    // Poll first (layers issue kernels back to back, and a futex wake costs tens of µs), then sleep.
    for (let spin = 0; spin < Atomics.load(words, 6) && Atomics.load(words, 0) === seen; spin++);
    if (Atomics.load(words, 0) === seen) {
      Atomics.store(words, 7, 1); // asleep: the engine notifies only then
      Atomics.wait(words, 0, seen);
      Atomics.store(words, 7, 0);
    }
    const seq = Atomics.load(words, 0);
    if (seq === seen) continue;
    seen = seq;
    if (words[2] < 0) break;
    if (Atomics.compareExchange(words, 5, (seq - 1) | 0, seq) !== ((seq - 1) | 0)) continue; // kept out: the group is over
    try {
      // The calls left, each taken with Atomics.add; every argument passed written out (see above).
      for (let i; (i = Atomics.add(q, 0, 1)) < q[1];) {
        const a = args[i];
        fns[q[2 + i * (entryBytes >> 2)]](a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14],
          a[15], a[16], a[17], a[18], a[19], a[20], a[21], a[22], a[23], a[24], a[25], a[26], a[27], a[28], a[29], a[30], a[31]);
      }
      words[4] = 0;
    } catch (e) {
      words[4] = 1;
    }
    Atomics.store(words, 1, seq);
    Atomics.notify(words, 1);
  }
  if (isNode) process.exit(0); else self.close();
});
})();
`;
