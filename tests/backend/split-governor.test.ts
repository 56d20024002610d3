import { describe, it, expect, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { engine } from '../../src/backend/engine.js';
import { SplitGovernor, BACKOFF_MS, MAX_BACKOFF_MS, LOSSES_IN_A_ROW, SLACK_MS, SLOW_POST_MS } from '../../src/backend/split-governor.js';

afterAll(() => sn.dispose());

describe('SplitGovernor: when splitting stops paying', () => {
  it('keeps splitting while the waits stay within the caller\'s own part', () => {
    const g = new SplitGovernor();
    let t = 0;
    for (let i = 0; i < 1000; i++) {
      expect(g.allowsSplit(t)).toBe(true);
      g.report(0.001, 0.05, 0.05 + SLACK_MS * (i % 2), 0, (t += 0.1));
    }
    // waitedMs: every wait added up (what an even split lost to the slower thread).
    expect(g.counts).toEqual({ groups: 1000, waited: 1000, takenBack: 0, slowPost: 0, lost: 0, serial: 0, waitedMs: expect.closeTo(1000 * 0.05 + 500 * SLACK_MS, 9) });
  });

  it('pauses after losses in a row, for a backoff that doubles with each pause and halves with each win', () => {
    const g = new SplitGovernor();
    let t = 100;
    const lose = () => g.report(0.001, 0.01, 2, 0, (t += 2));
    for (let i = 1; i < LOSSES_IN_A_ROW; i++) lose();
    expect(g.allowsSplit(t)).toBe(true); // one loss short
    lose();
    expect(g.paused(t)).toBe(true);
    expect(g.allowsSplit(t + BACKOFF_MS - 0.1)).toBe(false);
    expect(g.allowsSplit(t + BACKOFF_MS)).toBe(true);
    expect(g.counts.serial).toBe(1);
    // Losing again right after the pause: each pause twice the one before, up to the cap.
    let pause = BACKOFF_MS;
    for (let round = 0; round < 12; round++) {
      t += pause;
      for (let i = 0; i < LOSSES_IN_A_ROW; i++) lose();
      pause = Math.min(2 * pause, MAX_BACKOFF_MS);
      expect(g.allowsSplit(t + pause - 0.1)).toBe(false);
      expect(g.allowsSplit(t + pause)).toBe(true);
    }
    expect(pause).toBe(MAX_BACKOFF_MS);
    // Each balanced group halves the backoff (down to the first one); a loss between wins never pauses.
    t += pause;
    g.report(0.001, 0.05, 0.01, 0, (t += 1));
    for (let i = 0; i < LOSSES_IN_A_ROW; i++) lose();
    expect(g.paused(t + MAX_BACKOFF_MS / 2 - 0.1)).toBe(true);
    expect(g.paused(t + MAX_BACKOFF_MS / 2)).toBe(false);
    t += MAX_BACKOFF_MS / 2;
    for (let i = 0; i < 20; i++) {
      g.report(0.001, 0.05, 0.01, 0, (t += 1));
      lose();
    }
    g.report(0.001, 0.05, 0.01, 0, (t += 1));
    expect(g.paused(t)).toBe(false);
    for (let i = 0; i < LOSSES_IN_A_ROW; i++) lose();
    expect(g.paused(t + BACKOFF_MS - 0.1)).toBe(true);
    expect(g.paused(t + BACKOFF_MS)).toBe(false);
  });
});

describe('SplitGovernor: calls taken back', () => {
  it('counts a group whose call the caller took back from a worker awake as lost', () => {
    const g = new SplitGovernor();
    let t = 0;
    for (let i = 0; i < 100; i++) {
      g.report(0.001, 0.02, 0, 1, (t += 1));
      for (let j = 0; j < 5; j++) g.report(0.001, 0.02, 0.001, 0, (t += 1));
    }
    expect(g.counts).toMatchObject({ groups: 600, takenBack: 100, lost: 100, serial: 0 });
    for (let i = 0; i < LOSSES_IN_A_ROW; i++) g.report(0.001, 0.02, 0, 1, (t += 1)); // no worker gets a core
    expect(g.allowsSplit(t)).toBe(false);
    expect(g.allowsSplit(t + BACKOFF_MS)).toBe(true);
  });
});

describe('SplitGovernor: a hand-off that took the caller\'s core', () => {
  it('counts a group whose posting took longer than SLOW_POST_MS as lost', () => {
    const g = new SplitGovernor();
    g.report(SLOW_POST_MS, 0.02, 0, 0, 1);
    expect(g.counts).toMatchObject({ groups: 1, slowPost: 0, lost: 0 });
    for (let i = 0; i < LOSSES_IN_A_ROW; i++) g.report(SLOW_POST_MS + 0.3, 0.02, 0, 0, 2 + i); // the woken worker ran on the caller's core first
    expect(g.counts).toMatchObject({ groups: 1 + LOSSES_IN_A_ROW, slowPost: LOSSES_IN_A_ROW, lost: LOSSES_IN_A_ROW });
    expect(g.paused(1 + LOSSES_IN_A_ROW)).toBe(true);
  });
});

describe('thread pool under a held-up worker', () => {
  it('runs the calls on the caller while splitting pauses, with the same results, then splits again', async () => {
    await sn.ready({ threads: 2, simd: 'plain' });
    const e = engine();
    const n = 1 << 12;
    const t = sn.Tensor.zeros([2 * n]);
    const counts = e.splitCounts!;
    const governor = (e as unknown as { pool: { governor: SplitGovernor } }).pool.governor;
    const split = () => e.parallel([['fill_f32', t.ptr, n, 1], ['fill_f32', t.ptr + 4 * n, n, 2]]);
    split();
    expect(counts.serial).toBe(0);
    // Groups that kept the caller waiting (as the pool reports them): the next ones run on the caller. Losing
    // again at once doubles each pause: eight rounds make it 128 ms, so that a loaded machine running this test
    // still finds the pool paused below (a 1 ms pause ran out there before the checks).
    for (let round = 0; round < 8; round++) for (let i = 0; i < LOSSES_IN_A_ROW; i++) governor.report(0, 0.01, 1, 0, performance.now());
    for (let v = 3; v < 13; v += 2) {
      e.parallel([['fill_f32', t.ptr, n, v], ['fill_f32', t.ptr + 4 * n, n, v + 1]]);
      const view = t.view();
      expect([view[0], view[n - 1], view[n], view[2 * n - 1]]).toEqual([v, v, v + 1, v + 1]);
    }
    expect(counts.serial).toBe(5);
    expect(e.wakeWorkers()).toBe(0); // a paused pool leaves its workers asleep
    while (governor.paused(performance.now())) await new Promise((r) => setTimeout(r, 5));
    const groups = counts.groups;
    split();
    expect(counts.groups).toBe(groups + 1);
    t.dispose();
  });
});
