// The source of a pool worker, as a string: the bundle stays one file, and the same text starts a Node
// worker_thread (`eval: true`) or a browser Web Worker (from a Blob URL). The build minifies the string
// (rollup.config.mjs), which must therefore stay plain text: no backquote and no ${} in it.
//
// A worker instantiates the kernel modules (the main one, and those `Engine.extend` added) on the shared
// memory, then sleeps in Atomics.wait on its slot's sequence number. The engine writes a kernel index and its arguments into the slot, bumps the
// sequence and notifies (only a worker that sleeps); the worker runs the kernel, stores the sequence into
// `done` and notifies back.
// Slot layout (i32 words from slot start): 0 seq, 1 done, 2 kernel (-1 = exit), 3 argc, 4 error flag,
// 5 claim, 6 spin (how many times to poll for the next call before sleeping: 0 while the pool has paused
// splitting, split-governor.ts), 7 asleep (1 from just before its Atomics.wait for a call to its waking);
// arguments are f64 from byte 32 of the slot (an f64 holds any i32 offset or f32 scalar exactly).
// A call is run by whoever moves `claim` from seq − 1 to seq first: the worker, or the engine's thread when
// it finished its own share before the worker woke up (then the worker finds it taken and goes on waiting).
/** Arguments a slot carries (the int8 direct conv takes 30, the most of any kernel); the worker below passes each, written out. */
export const SLOT_ARGS = 32;

export const WORKER_SOURCE = `
(async () => {
const isNode = typeof process === 'object' && typeof process.versions === 'object' && !!process.versions.node;
// A dynamic import works whether Node runs this text as a script or as a module.
const port = isNode ? (await import('node:worker_threads')).parentPort : self;
const listen = (fn) => isNode ? port.once('message', fn) : (self.onmessage = (e) => { self.onmessage = null; fn(e.data); });
listen(async ({ modules, memory, names, slot, slotBytes }) => {
  const exports = {};
  for (const module of modules) Object.assign(exports, (await WebAssembly.instantiate(module, { env: { memory } })).exports);
  const fns = names.map((n) => exports[n]);
  const words = new Int32Array(memory.buffer, slot, slotBytes >> 2);
  const a = new Float64Array(memory.buffer, slot + 32, (slotBytes - 32) >> 3); // the arguments
  port.postMessage('ready');
  let seen = 0;
  for (;;) {
    // Spin briefly first: layers issue kernels back to back, and a futex wake costs tens of µs.
    // Then sleep, so an idle pool burns no core.
    for (let spin = 0; spin < Atomics.load(words, 6) && Atomics.load(words, 0) === seen; spin++);
    if (Atomics.load(words, 0) === seen) {
      Atomics.store(words, 7, 1); // asleep: the engine notifies only then
      Atomics.wait(words, 0, seen);
      Atomics.store(words, 7, 0);
    }
    const seq = Atomics.load(words, 0);
    if (seq === seen) continue;
    seen = seq;
    const kernel = words[2];
    if (kernel < 0) break;
    if (Atomics.compareExchange(words, 5, (seq - 1) | 0, seq) !== ((seq - 1) | 0)) continue; // taken back
    try {
      // Every slot passed as written out (the engine zeroes those past the call's arguments): an apply of
      // Array.from(a.subarray(0, argc)) took 1.2 µs a call, on the critical path of every split group.
      fns[kernel](a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14],
        a[15], a[16], a[17], a[18], a[19], a[20], a[21], a[22], a[23], a[24], a[25], a[26], a[27], a[28], a[29],
        a[30], a[31]);
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
