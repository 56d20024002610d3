// fit's `verbose` in Node, as Keras prints it on stderr:
//   1  (the default when stderr is a terminal) a progress line redrawn in place per epoch —
//        "Epoch 3/12" then " 412/938 [=====>........] - ETA: 9s - loss: 0.0712 - acc: 0.9781" —
//      ending with the epoch summary " 938/938 [====...] - 21s 22ms/step - loss: … - val_loss: … - val_acc: …".
//      On a pipe or a file only the summary line is written (carriage returns make unreadable logs).
//   2  one line per epoch: "Epoch 3/12 - 21s - loss: … - acc: … - val_loss: … - val_acc: …"
//   0  nothing.
// In a browser (no process.stderr) nothing is printed: callbacks do that job there.
// The line is written straight to process.stderr rather than through the CLI's cli-progress: that keeps
// the package free of runtime dependencies and the one bundle free of any Node import (a bar this simple
// is a few string operations).
import { describeValue } from '../describe.js';
import type { Callbacks, Logs } from './fit.js';

interface Stream {
  write(text: string): unknown;
  isTTY?: boolean;
}

function stderr(): Stream | null {
  const p = (globalThis as { process?: { stderr?: Stream } }).process;
  return p?.stderr && typeof p.stderr.write === 'function' ? p.stderr : null;
}

/** fit's default verbose: 1 on a terminal, else 0 (a log file gets nothing unless asked). */
export function checkVerbose(verbose: unknown, who: string): 0 | 1 | 2 {
  if (verbose === undefined) return stderr()?.isTTY ? 1 : 0;
  if (verbose === 0 || verbose === 1 || verbose === 2) return verbose;
  throw new Error(`simdnet: ${who}: verbose must be 0, 1 or 2, got ${describeValue(verbose)}`);
}

/** "21s", "1:05" (Keras's ETA style). */
function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (v: number) => String(v).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

function figures(logs: Logs): string {
  let text = '';
  for (const [key, value] of Object.entries(logs)) {
    if (key === 'batch' || key === 'size' || typeof value !== 'number') continue;
    text += ` - ${key}: ${Math.abs(value) >= 1e-3 || value === 0 ? value.toFixed(4) : value.toExponential(4)}`;
  }
  return text;
}

const BAR = 30;
/** Least time between two redraws of the line, in ms. */
const REDRAW_MS = 100;

/**
 * The progress callback for `verbose` (null for 0 or without stderr). `steps` is the batch count of an
 * epoch when known (fitDataset without batchesPerEpoch does not know it: the bar then shows a count only).
 */
export function progressLogger(verbose: 0 | 1 | 2, epochs: number, steps: number | null): Callbacks | null {
  const out = stderr();
  if (verbose === 0 || !out) return null;
  const live = verbose === 1 && out.isTTY === true;
  let started = 0;
  let drawn = 0;
  let batches = 0;
  let running: Record<string, { sum: number; count: number }> = {};
  const counter = (done: number) => {
    if (steps === null) return `${done}`;
    const width = String(steps).length;
    return `${String(done).padStart(width)}/${steps}`;
  };
  const bar = (done: number) => {
    if (steps === null) return '';
    const filled = Math.min(BAR, Math.floor((BAR * done) / steps));
    return ` [${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? (done >= steps ? '=' : '>') : ''}${'.'.repeat(BAR - filled)}]`;
  };
  return {
    onEpochBegin(epoch: number) {
      started = performance.now();
      drawn = 0;
      batches = 0;
      running = {};
      if (verbose === 1) out.write(`Epoch ${epoch + 1}/${epochs}\n`);
    },
    onBatchEnd(_batch: number, logs: Logs) {
      batches++;
      const size = logs.size ?? 1;
      for (const [key, value] of Object.entries(logs)) {
        if (key === 'batch' || key === 'size') continue;
        const r = (running[key] ??= { sum: 0, count: 0 });
        r.sum += value * size;
        r.count += size;
      }
      if (!live) return;
      const now = performance.now();
      if (now - drawn < REDRAW_MS) return;
      drawn = now;
      const mean: Logs = {};
      for (const [key, r] of Object.entries(running)) mean[key] = r.sum / r.count;
      const elapsed = (now - started) / 1000;
      const eta = steps !== null ? ` - ETA: ${duration((elapsed / batches) * Math.max(0, steps - batches))}` : ` - ${duration(elapsed)}`;
      out.write(`\r${counter(batches)}${bar(batches)}${eta}${figures(mean)}\x1b[K`);
    },
    onEpochEnd(epoch: number, logs: Logs) {
      const seconds = (performance.now() - started) / 1000;
      if (verbose === 2) {
        out.write(`Epoch ${epoch + 1}/${epochs} - ${duration(seconds)}${figures(logs)}\n`);
        return;
      }
      const perStep = batches > 0 ? ` ${Math.round((1000 * seconds) / batches)}ms/step` : '';
      out.write(`${live ? '\r' : ''}${counter(batches)}${bar(batches)} - ${duration(seconds)}${perStep}${figures(logs)}${live ? '\x1b[K' : ''}\n`);
    },
  };
}
