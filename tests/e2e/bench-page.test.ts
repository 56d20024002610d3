// The benchmark page (bench/index.html) in Debian's Chromium, once, in quick mode on LeNet-5: the suite runs
// to the end, simdnet's outputs agree with the float64 reference before anything is timed, and every
// library either has figures or says why not. Peers come from bench/node_modules; without them (a fresh
// clone that never ran `npm run bench`) they are reported as not loadable and only simdnet is required.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HAS_CHROMIUM, IN_CI, SKIP_REASON, openDemo, type DemoSession } from './browser.js';

const ROOT = join(import.meta.dirname, '..', '..');
const HAS_PEERS = existsSync(join(ROOT, 'bench/node_modules/@tensorflow/tfjs'));

if (!HAS_CHROMIUM) {
  if (IN_CI) {
    test('Chromium is installed for the bench page test', () => {
      throw new Error(`${SKIP_REASON}. .ci/run installs it with apt-get.`);
    });
  } else {
    console.warn(`\n  ⚠ bench page: ${SKIP_REASON}\n`);
  }
}
if (HAS_CHROMIUM && !HAS_PEERS) {
  console.warn('\n  ⚠ bench page: bench/node_modules is missing (npm ci --prefix bench); only simdnet is checked\n');
}

type Metric = { ms?: number; error?: string; samples?: number };
interface BenchResult {
  quick: boolean;
  libraries: { id: string; error?: string }[];
  models: {
    id: string;
    check: Record<string, { maxAbsDiff?: number; ok?: boolean; error?: string }>;
    trainCheck: Record<string, { maxAbsDiff?: number; ok?: boolean; error?: string }>;
    metrics: Record<'latency1' | 'infer64' | 'train64', Record<string, Metric>>;
  }[];
}

describe.skipIf(!HAS_CHROMIUM)('bench page in Chromium', () => {
  let session: DemoSession;
  beforeAll(async () => {
    session = await openDemo();
  });
  afterAll(async () => {
    await session?.close();
  });

  test('runs the quick suite on LeNet-5 and reports every library', async () => {
    const page = await session.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(String(err)));
    const origin = new URL(session.url).origin;
    await page.goto(`${origin}/bench/index.html?quick=1&models=lenet5&cold=0`);
    await page.waitForFunction(() => ['done', 'error'].includes(document.documentElement.dataset.state ?? ''), null, { timeout: 240_000 });
    const bench = await page.evaluate(() => (window as any).simdnetBench as { result: BenchResult | null; error: string | null });
    expect(bench.error).toBeNull();
    expect(errors).toEqual([]);
    const result = bench.result!;
    expect(result.quick).toBe(true);
    const [lenet] = result.models;
    expect(lenet.id).toBe('lenet5');

    // simdnet: agrees with the reference, then has a median for every metric.
    expect(lenet.check.simdnet.error).toBeUndefined();
    expect(lenet.check.simdnet.ok).toBe(true);
    for (const m of ['latency1', 'infer64', 'train64'] as const) {
      expect(lenet.metrics[m].simdnet.error).toBeUndefined();
      expect(lenet.metrics[m].simdnet.ms).toBeGreaterThan(0);
    }

    // Every library has figures or an error that says why; none is silently missing.
    for (const lib of result.libraries) {
      if (lib.error) {
        expect(HAS_PEERS, `${lib.id} could not start: ${lib.error}`).toBe(false);
        continue;
      }
      for (const m of ['latency1', 'infer64', 'train64'] as const) {
        const v = lenet.metrics[m][lib.id];
        expect(v, `${m} of ${lib.id}`).toBeDefined();
        expect(v.ms !== undefined || typeof v.error === 'string').toBe(true);
      }
    }
    if (HAS_PEERS) {
      expect(lenet.check['tfjs-wasm'].ok).toBe(true);
      expect(lenet.check['ort-web'].ok).toBe(true);
      expect(lenet.metrics.train64['tfjs-wasm'].error).toMatch(/Conv2DBackpropFilter/);
      // Training from the same weights gives the same model as ConvNetJS (float64).
      expect(lenet.trainCheck.simdnet.ok).toBe(true);
    }
    // The report is on the page: one table per model plus the targets table.
    expect(await page.locator('#report table').count()).toBe(2);
    await page.close();
  }, 300_000);
});
