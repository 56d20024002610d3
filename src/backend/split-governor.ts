// Whether handing kernel calls to the workers still pays on this machine, right now.
//
// A split pays when the workers run their parts beside the calling thread. On a machine whose cores are busy
// with other work (another process, another tab) it does not, three ways:
//   - a worker that is awake is slow to claim its call (no core to run on), and the caller, done with its own
//     part, takes the call back and runs it itself (ThreadPool.run): as slow as no split — and the worker,
//     spinning for the next call, takes CPU time from the caller (whose process the scheduler counts as one).
//     Measured here with two agents building on the two cores: batch-1 predicts of the MNIST convnet took
//     1.8-1.9x as long on 2 threads as on 1;
//   - waking a worker asleep puts it on the caller's core, and the caller waits for it to give the core back
//     (posting took ~0.4 ms there, against a few µs);
//   - a worker claims its call and is descheduled in the middle of it: the caller, done in microseconds,
//     waits milliseconds.
// So the pool reports, for every parallel group, how long posting the calls took, how long the caller ran its
// own part, how long it then waited for workers that ran theirs, and how many calls it took back. Parts are
// balanced by the ops (src/backend/split.ts) and the caller's is never the smaller, so a wait longer than its
// own part means a worker was held up. Any of the three and the group lost; after LOSSES_IN_A_ROW lost groups
// in a row the pool runs every call on the caller for a while (BACKOFF_MS at first, doubling with each pause,
// up to MAX_BACKOFF_MS) and its workers sleep; then it tries them again, and each group that does not lose
// halves the backoff. On a quiet machine a group loses now and then (0.6 % of the convnet's batch-1 groups
// here: the host preempting a core): two in a row and a 4 ms pause left 6-11 % of those groups unsplit,
// three and 1 ms 1-3 %. A call taken back from a worker that was asleep (the first of a burst: waking takes
// tens of µs) is no loss. Results are bitwise the same either way: the same calls run, only on another thread.

/** Groups that must lose in a row before the pool stops splitting. */
export const LOSSES_IN_A_ROW = 3;
/** The first pause in splitting, and the longest one. */
export const BACKOFF_MS = 1;
export const MAX_BACKOFF_MS = 256;
/** A wait this much over the caller's part still counts as balanced (timer grain: 5 µs in an isolated page). */
export const SLACK_MS = 0.02;
/**
 * Handing calls over takes ~1 µs, or a few µs where it wakes a worker; far longer means the woken worker took
 * the caller's core (the machine has none free) and the caller waited for it to give the core back.
 */
export const SLOW_POST_MS = 0.05;

export class SplitGovernor {
  private losses = 0;
  private backoff = BACKOFF_MS;
  private serialUntil = -Infinity;
  /**
   * Parallel groups reported, those in which the caller waited for a worker, those in which it took a call
   * back, those that lost, and groups run on the caller alone while splitting paused; `waitedMs`, all the
   * caller's waits added up (a worker slower than the caller, or held up: what an even split lost).
   */
  readonly counts = { groups: 0, waited: 0, takenBack: 0, slowPost: 0, lost: 0, serial: 0, waitedMs: 0 };

  /** Whether a group starting at `now` (ms) may go to the workers; counts it as serial when not. */
  allowsSplit(now: number): boolean {
    if (now >= this.serialUntil) return true;
    this.counts.serial++;
    return false;
  }

  /**
   * After a group that went to the workers: `postMs`, how long handing the calls over took; `ownMs`, the
   * caller's part; `waitedMs`, how long the caller then waited for workers that had claimed their calls;
   * `takenBack`, the calls it ran itself because their worker (awake) had not claimed them; `now`, when it
   * ended.
   */
  report(postMs: number, ownMs: number, waitedMs: number, takenBack: number, now: number): void {
    this.counts.groups++;
    if (waitedMs > 0) this.counts.waited++;
    this.counts.waitedMs += waitedMs;
    if (takenBack > 0) this.counts.takenBack++;
    if (postMs > SLOW_POST_MS) this.counts.slowPost++;
    if (takenBack === 0 && postMs <= SLOW_POST_MS && waitedMs <= ownMs + SLACK_MS) {
      this.losses = 0;
      // Halved, not reset: on a busy machine a probe wins now and then, and each probe wakes the workers,
      // whose spinning then takes CPU time from this thread.
      this.backoff = Math.max(BACKOFF_MS, this.backoff / 2);
      return;
    }
    this.counts.lost++;
    if (++this.losses < LOSSES_IN_A_ROW) return;
    this.losses = 0;
    this.serialUntil = now + this.backoff;
    this.backoff = Math.min(2 * this.backoff, MAX_BACKOFF_MS);
  }

  /** Whether splitting is paused at `now` (nothing counted). */
  paused(now: number): boolean {
    return now < this.serialUntil;
  }
}
