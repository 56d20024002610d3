// The demo page in Debian's Chromium, headless: it loads the same bundle Node uses, reads digits drawn
// with real pointer strokes, shows the network's filters and feature maps, and trains in a worker.
// Screenshots land in test-results/ (git-ignored) for a person to look at.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import {
  CHROMIUM_PATH, HAS_CHROMIUM, IN_CI, SKIP_REASON, canvasesNonBlank, drawAndRead, drawStrokes, DIGIT_STROKES, loadPage, openDemo,
  type DemoSession,
} from './browser.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SHOTS = join(ROOT, 'test-results');
// SIMDNET_DEMO_MODEL=./data/some-model/model.json points the page at another model (a URL under /demo/).
const MODEL_QUERY = process.env.SIMDNET_DEMO_MODEL ? `?model=${encodeURIComponent(process.env.SIMDNET_DEMO_MODEL)}` : '';
const MODEL_FILES = existsSync(join(ROOT, 'demo/model/model.json'));
const HAS_PRETRAINED = MODEL_QUERY !== '' || MODEL_FILES;
/** Page errors that count: without demo/model/ the page's (pre)loads of it answer 404, which is expected then. */
const realErrors = (errors: string[]) => errors.filter((e) => MODEL_FILES || !/404/.test(e));
const PRETRAINED_SKIP = 'pretrained-model tests skipped: demo/model/model.json is missing (`npm run train` writes it); under CI=true they fail instead';

if (!HAS_CHROMIUM) {
  if (IN_CI) {
    test('Chromium is installed for the browser tests', () => {
      throw new Error(`CI=true but there is no Chromium at ${CHROMIUM_PATH}, so the browser tests cannot run (.ci/run installs Debian's chromium with apt-get)`);
    });
  } else {
    console.warn(`\n  ⚠ ${SKIP_REASON}\n`);
  }
}
if (HAS_CHROMIUM && !HAS_PRETRAINED && !IN_CI) console.warn(`\n  ⚠ ${PRETRAINED_SKIP}\n`);

/** Digits drawn as strokes that the pretrained model must read. */
const PRETRAINED_DIGITS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

async function expectFeatureMaps(page: Page) {
  const filters = await canvasesNonBlank(page, '#filters canvas');
  const maps1 = await canvasesNonBlank(page, '#maps1 canvas');
  const maps2 = await canvasesNonBlank(page, '#maps2 canvas');
  expect(filters.length).toBeGreaterThan(0);
  expect(filters.every(Boolean)).toBe(true);
  expect(maps1.length).toBe(filters.length); // one map per first-layer filter
  expect(maps2.length).toBeGreaterThan(0);
  // A ReLU map can be all zero on a given drawing (a filter that finds nothing), but most fire somewhere.
  expect(maps1.filter(Boolean).length).toBeGreaterThanOrEqual(Math.ceil(maps1.length / 2));
  expect(maps2.filter(Boolean).length).toBeGreaterThanOrEqual(Math.ceil(maps2.length / 2));
}

describe.skipIf(!HAS_CHROMIUM)('demo page in Chromium', () => {
  let session: DemoSession;
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    session = await openDemo();
  });
  afterAll(async () => {
    await session?.close();
  });

  test('loads the bundle cross-origin isolated, shows the build and threads; load → first prediction is printed', async () => {
    const t0 = Date.now();
    const { page, errors } = await loadPage(session, MODEL_QUERY);
    expect(await page.evaluate(() => document.documentElement.dataset.state)).toBe('ready');
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const build = await page.evaluate(() => document.documentElement.dataset.build);
    expect(['relaxed', 'simd', 'relaxed-threads', 'threads']).toContain(build);
    const chips = await page.locator('#features').innerText();
    expect(chips).toMatch(/SIMD/);
    expect(chips).toMatch(/\d+ threads?/);
    if (HAS_PRETRAINED || IN_CI) {
      expect(await page.evaluate(() => document.documentElement.dataset.model)).toBe('pretrained');
      const timings = await page.evaluate(() => (window as any).simdnetDemo.timings);
      await drawStrokes(page, DIGIT_STROKES[7]);
      await page.waitForFunction(() => (window as any).simdnetDemo.prediction !== null);
      console.log(
        `[demo] page load → ready for the first prediction: ${Math.round(timings.firstPredictionMs)} ms ` +
          `(library ready ${Math.round(timings.readyMs)} ms, model loaded ${Math.round(timings.modelMs)} ms, from navigation start); ` +
          `goto → first drawn digit classified: ${Date.now() - t0} ms wall (includes drawing), ` +
          `one classification with feature maps: ${(await page.evaluate(() => (window as any).simdnetDemo.timings.lastClassifyMs)).toFixed(1)} ms`,
      );
    }
    expect(realErrors(errors)).toEqual([]);
    await page.close();
  });

  test.skipIf(!HAS_PRETRAINED && !IN_CI)(`reads digits 0-9 drawn as strokes, with the pretrained model, and shows what it sees`, async () => {
    if (!HAS_PRETRAINED) throw new Error('CI=true but demo/model/model.json is missing: the demo has no pretrained model to test (`npm run train` writes it)');
    const { page, errors } = await loadPage(session, MODEL_QUERY);
    expect(await page.evaluate(() => document.documentElement.dataset.model)).toBe('pretrained');
    const seen: Record<number, number | null> = {};
    for (const digit of PRETRAINED_DIGITS) {
      const { shown, probs } = await drawAndRead(page, digit);
      seen[digit] = shown;
      expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
    }
    console.log(`[demo] drawn → read by the pretrained model: ${JSON.stringify(seen)}`);
    // A good MNIST model reads every one of these clean strokes; allow one miss for a smaller model.
    const misses = PRETRAINED_DIGITS.filter((d) => seen[d] !== d);
    expect(misses.length, `misread: ${misses.map((d) => `${d}→${seen[d]}`).join(', ')}`).toBeLessThanOrEqual(1);
    for (const digit of [0, 1, 7]) expect(seen[digit], `drawn ${digit}`).toBe(digit);
    // The 28x28 input shows ink.
    expect((await canvasesNonBlank(page, '#input28'))[0]).toBe(true);
    await expectFeatureMaps(page);
    await drawAndRead(page, 3);
    await page.screenshot({ path: join(SHOTS, 'demo.png'), fullPage: true });
    expect(realErrors(errors)).toEqual([]);
    await page.close();
  }, 120_000);

  test('trains a fresh model in a worker: the loss falls, the page stays responsive, the new model reads 1 and 7', async () => {
    const { page, errors } = await loadPage(session, MODEL_QUERY);
    // Watch the main thread: the longest gap between animation frames while training runs.
    await page.evaluate(() => {
      const w = window as any;
      w.__maxFrameGap = 0;
      let last = performance.now();
      const tick = (t: number) => {
        w.__maxFrameGap = Math.max(w.__maxFrameGap, t - last);
        last = t;
        if (w.__watching !== false) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    await page.selectOption('#train-count', '5000');
    await page.selectOption('#train-epochs', '1');
    await page.click('#train');
    await page.waitForFunction(() => (window as any).simdnetDemo.trainLog.length > 0 || (window as any).simdnetDemo.trainResult, null, { timeout: 60_000 });
    await page.evaluate(() => (window as any).__maxFrameGap = 0); // ignore the worker's start-up
    await page.waitForFunction(() => (window as any).simdnetDemo.trainResult !== null, null, { timeout: 240_000 });
    const result = await page.evaluate(() => (window as any).simdnetDemo.trainResult);
    expect(result.error).toBeUndefined();
    const log: { loss: number }[] = await page.evaluate(() => (window as any).simdnetDemo.trainLog);
    const gap = await page.evaluate(() => { (window as any).__watching = false; return (window as any).__maxFrameGap; });
    const trainThreads = await page.evaluate(() => document.documentElement.dataset.trainThreads);
    const mean = (xs: { loss: number }[]) => xs.reduce((a, b) => a + b.loss, 0) / xs.length;
    const first = mean(log.slice(0, 5));
    const last = mean(log.slice(-5));
    console.log(
      `[demo] in-browser training (${trainThreads} threads): ${log.length} batches of 64 in ${result.seconds.toFixed(1)} s; loss ${first.toFixed(3)} → ${last.toFixed(3)}; ` +
        `test accuracy ${(result.test.accuracy * 100).toFixed(1)} %; longest main-thread frame gap while training and loading the new model ${Math.round(gap)} ms`,
    );
    expect(log.length).toBe(Math.ceil(5000 / 64));
    expect(log.every((b) => Number.isFinite(b.loss))).toBe(true);
    expect(last).toBeLessThan(first * 0.5);
    expect(result.test.accuracy).toBeGreaterThan(0.8);
    expect(await page.evaluate(() => document.documentElement.dataset.model)).toBe('trained');
    const plotDrawn = await canvasesNonBlank(page, '#plot');
    expect(plotDrawn[0]).toBe(true);
    for (const digit of [1, 7]) expect((await drawAndRead(page, digit)).shown, `drawn ${digit}`).toBe(digit);
    await expectFeatureMaps(page);
    await page.screenshot({ path: join(SHOTS, 'demo-trained.png'), fullPage: true });
    expect(realErrors(errors)).toEqual([]);
    await page.close();
  }, 300_000);

  test('fits a phone screen: no sideways scrolling, the pad is usable by touch-sized layout', async () => {
    const page = await session.context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(session.url + MODEL_QUERY);
    await page.waitForFunction(() => document.documentElement.dataset.state === 'ready');
    const { scroll, client, pad } = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
      pad: document.getElementById('pad')!.getBoundingClientRect().width,
    }));
    expect(scroll).toBeLessThanOrEqual(client);
    expect(pad).toBeGreaterThan(250);
    expect(await page.evaluate(() => getComputedStyle(document.getElementById('pad')!).touchAction)).toBe('none');
    if (await page.evaluate(() => document.documentElement.dataset.model !== 'none')) await drawAndRead(page, 2);
    await page.screenshot({ path: join(SHOTS, 'demo-phone.png'), fullPage: true });
    await page.close();
  });
});
