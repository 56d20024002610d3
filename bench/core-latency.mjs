// How long a value written by one thread takes to be seen by another and answered: the floor under every
// parallel group's hand-off (the call posted, its `done` read back) and under every cache line one core
// writes and the other reads (a conv's output rows read by the next conv's part on the other thread).
// Hosts differ, and so do the states of one host: on the AMD EPYC virtual machine (two vCPUs) this was
// written on, 0.96–1.5 µs for minutes, then 0.19–0.21 µs. The 2-thread batch-1 predict pays it a few times
// (~40 µs on 2 threads there), so bench/issue13.mjs prints it beside the 2-thread figures.
//
//   node bench/core-latency.mjs
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

// The answering thread: echoes each new value of word 0 into word 16 (another cache line) until it reads -1.
const ECHO = `
const { workerData } = require('node:worker_threads');
const a = new Int32Array(workerData);
for (let last = 0; ; ) {
  const v = Atomics.load(a, 0);
  if (v === -1) break;
  if (v !== last) Atomics.store(a, 16, (last = v));
}`;

/**
 * Median round trip (ns) of `rounds` rounds of `trips` each: this thread stores a new value and spins until
 * the other thread's echo of it arrives. Null where threads cannot start.
 */
export async function crossThreadRoundTripNs({ trips = 100_000, rounds = 7 } = {}) {
  const memory = new SharedArrayBuffer(128);
  const a = new Int32Array(memory);
  let worker;
  try {
    worker = new Worker(ECHO, { eval: true, workerData: memory });
  } catch {
    return null;
  }
  try {
    // Wait for the echo to run (its first answer), so thread start-up is not timed.
    Atomics.store(a, 0, 1);
    const started = performance.now();
    while (Atomics.load(a, 16) !== 1) {
      if (performance.now() - started > 10_000) return null;
      await new Promise((r) => setTimeout(r, 1));
    }
    const times = [];
    let v = 1;
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      for (let i = 0; i < trips; i++) {
        Atomics.store(a, 0, ++v);
        while (Atomics.load(a, 16) !== v);
      }
      times.push(((performance.now() - t0) * 1e6) / trips);
    }
    times.sort((x, y) => x - y);
    return times[times.length >> 1];
  } finally {
    Atomics.store(a, 0, -1);
    await worker.terminate();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const ns = await crossThreadRoundTripNs();
  console.log(ns === null ? 'no worker thread could start' : `cross-thread round trip: ${ns.toFixed(0)} ns (median of 7 rounds of 100,000)`);
}
