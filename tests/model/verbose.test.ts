// fit's verbose in Node, captured from process.stderr: 1 a Keras-style progress line per epoch (redrawn
// on a terminal, the summary alone on a pipe), 2 one line per epoch, 0 nothing; the default follows
// whether stderr is a terminal; fitDataset prints the same way.
import { describe, it, expect, beforeAll, afterEach, vi } from 'vitest';
import * as sn from '../../src/index.js';

beforeAll(async () => {
  await sn.ready();
});

const N = 10;
function setup() {
  sn.setSeed(3);
  const m = sn.sequential([sn.layers.dense({ units: 4, activation: 'relu', inputShape: [3] }), sn.layers.dense({ units: 2, activation: 'softmax' })]);
  m.compile({ optimizer: sn.optimizers.adam(0.01), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const x = sn.tensor(Array.from({ length: N * 3 }, (_, i) => Math.cos(i)), [N, 3]);
  const y = sn.tensor(Array.from({ length: N }, (_, i) => i % 2), [N]);
  return { m, x, y };
}

const tty = process.stderr.isTTY;
afterEach(() => {
  vi.restoreAllMocks();
  process.stderr.isTTY = tty;
});

/** Runs f and returns what it wrote on stderr. */
async function stderrOf(f: () => Promise<unknown>, isTTY: boolean): Promise<string> {
  process.stderr.isTTY = isTTY;
  let text = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => ((text += String(chunk)), true));
  await f();
  vi.restoreAllMocks();
  return text;
}

describe('fit verbose', () => {
  it('verbose 2 writes one line per epoch with the epoch figures and the validation ones', async () => {
    const { m, x, y } = setup();
    let h: sn.History | undefined;
    const text = await stderrOf(async () => (h = await m.fit(x, y, { epochs: 3, batchSize: 4, verbose: 2, validationData: [x, y] })), true);
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    lines.forEach((line, e) => {
      expect(line).toMatch(new RegExp(`^Epoch ${e + 1}/3 - \\d+s - loss: [\\d.]+ - acc: [\\d.]+ - val_loss: [\\d.]+ - val_acc: [\\d.]+$`));
      expect(line).toContain(`loss: ${h!.history.loss[e].toFixed(4)}`);
      expect(line).toContain(`val_acc: ${h!.history.val_acc![e].toFixed(4)}`);
    });
  });

  it('verbose 1 on a terminal redraws a bar per batch and ends with the summary', async () => {
    const { m, x, y } = setup();
    let h: sn.History | undefined;
    vi.spyOn(performance, 'now').mockImplementation(((t) => () => (t += 1000))(0)); // 1 s per call: every batch redraws
    const text = await stderrOf(async () => (h = await m.fit(x, y, { epochs: 2, batchSize: 4, verbose: 1 })), true);
    const epochs = text.split(/Epoch \d\/2\n/).slice(1);
    expect(epochs).toHaveLength(2);
    const redraws = epochs[0].split('\r').slice(1);
    // 3 batches of 4, 4, 2 rows: three redraws and the summary.
    expect(redraws).toHaveLength(4);
    expect(redraws[0]).toMatch(/^1\/3 \[={9}>\.{20}\] - ETA: \d+s - loss: [\d.]+ - acc: [\d.]+\x1b\[K$/);
    expect(redraws[2]).toMatch(/^3\/3 \[={30}\] - ETA: 0s/);
    expect(redraws[3]).toMatch(/^3\/3 \[={30}\] - \d+s \d+ms\/step - loss: [\d.]+ - acc: [\d.]+\x1b\[K\n$/);
    expect(redraws[3]).toContain(`loss: ${h!.history.loss[0].toFixed(4)}`);
  });

  it('verbose 1 on a pipe writes only the epoch summaries; the default there is silence', async () => {
    const { m, x, y } = setup();
    const text = await stderrOf(() => m.fit(x, y, { epochs: 2, batchSize: 4, verbose: 1 }), false);
    expect(text).not.toContain('\r');
    expect(text.trimEnd().split('\n')).toHaveLength(4); // "Epoch e/2" and its summary, twice
    expect(await stderrOf(() => m.fit(x, y, { epochs: 2, batchSize: 4 }), false)).toBe('');
  });

  it('the default on a terminal is 1; verbose 0 is silent there', async () => {
    const { m, x, y } = setup();
    expect(await stderrOf(() => m.fit(x, y, { epochs: 1, batchSize: 4 }), true)).toMatch(/^Epoch 1\/1\n/);
    expect(await stderrOf(() => m.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 }), true)).toBe('');
  });

  it('fitDataset prints a count without a total when the epoch length is unknown', async () => {
    const { m } = setup();
    const data = () => [0, 1, 2].map((i) => ({ xs: sn.tensor([i, 1, 2, 0, i, 1], [2, 3]), ys: sn.tensor([0, 1], [2]) }));
    const text = await stderrOf(() => m.fitDataset({ iterator: async () => data()[Symbol.iterator]() } as never, { epochs: 1, verbose: 1 }), false);
    expect(text).toMatch(/^Epoch 1\/1\n3 - \d+s \d+ms\/step - loss: [\d.]+ - acc: [\d.]+\n$/);
  });

  it('refuses a verbose that is not 0, 1 or 2, naming it', async () => {
    const { m, x, y } = setup();
    await expect(m.fit(x, y, { verbose: 3 as never })).rejects.toThrow(/fit: verbose must be 0, 1 or 2, got 3/);
  });
});
