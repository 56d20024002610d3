// Shared setup for the browser tests: Debian's Chromium driven by playwright-core (never a downloaded
// browser), a fresh profile per run, the demo server on a free port, and stroke scripts for digits.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
// @ts-expect-error: a plain ESM script without type declarations
import { startServer } from '../../scripts/serve.mjs';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const IN_CI = process.env.CI === 'true';
export const HAS_CHROMIUM = existsSync(CHROMIUM_PATH);
export const SKIP_REASON =
  `browser tests skipped: no Chromium at ${CHROMIUM_PATH} ` +
  '(install Debian\'s with `apt-get install -y chromium`, or set CHROMIUM_PATH); under CI=true they fail instead';

const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface DemoSession {
  url: string;
  context: BrowserContext;
  close(): Promise<void>;
}

/** Starts the demo server on a free port and Chromium with a new empty profile. */
export async function openDemo(): Promise<DemoSession> {
  const server = await startServer({ port: 0 });
  const profile = mkdtempSync(join(tmpdir(), 'simdnet-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: LAUNCH_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  return {
    url: server.url,
    context,
    async close() {
      await context.close().catch(() => undefined);
      await server.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Loads the page and waits until it has loaded the library and the model (or found none). */
export async function loadPage(session: DemoSession, query = ''): Promise<{ page: Page; errors: string[] }> {
  const page = await session.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(String(err)));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  await page.goto(session.url + query);
  await page.waitForFunction(() => ['ready', 'error'].includes(document.documentElement.dataset.state ?? ''), null, { timeout: 30_000 });
  return { page, errors };
}

/** A stroke is a list of points in pad coordinates, (0,0) top-left to (1,1) bottom-right. */
export type Stroke = [number, number][];

function arc(cx: number, cy: number, rx: number, ry: number, from: number, to: number, steps = 24): Stroke {
  const pts: Stroke = [];
  for (let i = 0; i <= steps; i++) {
    const t = from + ((to - from) * i) / steps;
    pts.push([cx + rx * Math.cos(t), cy + ry * Math.sin(t)]);
  }
  return pts;
}

/** Digits as a person would draw them, one or more strokes each (angles in radians, y grows downwards). */
export const DIGIT_STROKES: Record<number, Stroke[]> = {
  0: [arc(0.5, 0.5, 0.19, 0.3, -Math.PI / 2, (3 * Math.PI) / 2, 40)],
  1: [[[0.44, 0.27], [0.52, 0.2], [0.52, 0.5], [0.52, 0.8]]],
  2: [[...arc(0.5, 0.36, 0.17, 0.15, Math.PI * 1.05, Math.PI * 2.25, 20), [0.33, 0.78], [0.7, 0.78]]],
  3: [[...arc(0.48, 0.34, 0.16, 0.13, Math.PI * 1.1, Math.PI * 2.5, 20), ...arc(0.48, 0.64, 0.18, 0.16, Math.PI * 1.5, Math.PI * 2.9, 20)]],
  4: [[[0.58, 0.2], [0.3, 0.6], [0.72, 0.6]], [[0.6, 0.38], [0.6, 0.82]]],
  5: [[[0.66, 0.22], [0.4, 0.22], [0.37, 0.47], ...arc(0.5, 0.62, 0.16, 0.16, -0.75 * Math.PI, 0.8 * Math.PI, 20)]],
  6: [[[0.62, 0.2], [0.45, 0.35], [0.37, 0.55], ...arc(0.51, 0.65, 0.15, 0.14, Math.PI, 3 * Math.PI, 24)]],
  7: [[[0.3, 0.24], [0.7, 0.24], [0.44, 0.8]]],
  8: [arc(0.5, 0.34, 0.13, 0.13, 0.5 * Math.PI, 2.5 * Math.PI), arc(0.5, 0.64, 0.16, 0.16, -0.5 * Math.PI, 1.5 * Math.PI)],
  9: [[...arc(0.5, 0.36, 0.15, 0.13, 0, 2 * Math.PI), [0.64, 0.5], [0.6, 0.82]]],
};

/** Draws strokes with real mouse input (Chromium turns it into pointer events), point by point. */
export async function drawStrokes(page: Page, strokes: Stroke[]): Promise<void> {
  const box = await page.locator('#pad').boundingBox();
  if (!box) throw new Error('the drawing pad is not visible');
  const at = ([x, y]: [number, number]) => [box.x + x * box.width, box.y + y * box.height] as const;
  for (const stroke of strokes) {
    const [x0, y0] = at(stroke[0]);
    await page.mouse.move(x0, y0);
    await page.mouse.down();
    for (let i = 1; i < stroke.length; i++) {
      const [x, y] = at(stroke[i]);
      await page.mouse.move(x, y, { steps: 2 });
    }
    await page.mouse.up();
  }
}

/** Clears the pad, draws a digit and returns the prediction shown on the page once it has updated. */
export async function drawAndRead(page: Page, digit: number): Promise<{ shown: number | null; probs: number[] }> {
  await page.click('#clear');
  await page.waitForFunction(() => (window as any).simdnetDemo.prediction === null);
  await drawStrokes(page, DIGIT_STROKES[digit]);
  await page.waitForFunction(() => (window as any).simdnetDemo.prediction !== null);
  // One more frame so the classification after the final stroke has run.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const text = await page.locator('#pred-digit').textContent();
  const probs = await page.evaluate(() => (window as any).simdnetDemo.probabilities as number[]);
  return { shown: text && /^\d$/.test(text.trim()) ? Number(text.trim()) : null, probs };
}

/** For each canvas under `selector`: whether it shows more than one colour (a blank map is uniform). */
export function canvasesNonBlank(page: Page, selector: string): Promise<boolean[]> {
  return page.evaluate((sel) => {
    return [...document.querySelectorAll<HTMLCanvasElement>(sel)].map((c) => {
      if (!c.width || !c.height) return false;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      for (let i = 4; i < d.length; i += 4) {
        if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) return true;
      }
      return false;
    });
  }, selector);
}
