// What the suite needs from Node: library loading (peers resolve from bench/node_modules, simdnet from
// dist/), cold starts in child processes, and a description of the machine.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

async function quietly(fn) {
  // TF.js greets Node users on console.log/warn ("Hi there 👋 ... tfjs-node"); keep the report clean.
  const { log, warn, info } = console;
  console.log = console.warn = console.info = () => {};
  try { return await fn(); } finally { Object.assign(console, { log, warn, info }); }
}

export function nodeEnv() {
  return {
    name: 'node',
    simdnetVersion: JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version,
    async load(name, { wasm = true } = {}) {
      if (name === 'simdnet') return import('../dist/simdnet.js');
      if (name === 'tfjs') {
        return quietly(async () => {
          const tf = await import('@tensorflow/tfjs');
          if (wasm) await import('@tensorflow/tfjs-backend-wasm');
          tf.env().set('IS_TEST', false);
          return tf;
        });
      }
      const m = await import(name);
      // CommonJS packages (convnetjs, onnxruntime-node) may arrive as a default export.
      return m.InferenceSession || !m.default ? m : m.default;
    },
    /** CPU time of this process (all threads), to tell a slow library from a busy machine. */
    cpuTimeMs() {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    },
    /** One short sample of the wasm SIMD peak on simdnet's running build (assembly/peak.ts). */
    async peakSample() {
      const sn = await import('../dist/simdnet.js');
      return sn.ops.measurePeakGflops(3, 30);
    },
    /** Runs bench/cold-start.mjs in a fresh Node process; returns the ms it measured inside. */
    coldStart(peerId, modelId) {
      return new Promise((resolve, reject) => {
        execFile(process.execPath, ['--experimental-wasm-relaxed-simd', join(here, 'cold-start.mjs'), peerId, modelId], { cwd: root, timeout: 120_000 }, (err, stdout, stderr) => {
          const line = stdout.trim().split('\n').pop() ?? '';
          try {
            const r = JSON.parse(line);
            if (r.error) reject(new Error(r.error)); else resolve(r.ms);
          } catch {
            reject(new Error(`cold start of ${peerId} failed: ${(err?.message ?? '') + stderr.slice(-300)}`));
          }
        });
      });
    },
    describe() {
      const cpus = os.cpus();
      return {
        runtime: `Node ${process.version} (V8 ${process.versions.v8}), --experimental-wasm-relaxed-simd`,
        cpu: cpus[0]?.model?.trim() ?? 'unknown',
        cores: cpus.length,
        platform: `${os.platform()} ${os.arch()}`,
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        // The machine is shared: the 1-minute load average says how busy it was (read at start and end).
        loadAverage1m: os.loadavg()[0],
      };
    },
  };
}
