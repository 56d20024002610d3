// A seeded fuzz test of the public API, bounded in time: random arguments to every entry point and random
// mutations of a saved model's JSON. Whatever happens, a failure is an Error of simdnet's own (not an
// internal TypeError such as "e is not iterable") with a message under 1,000 characters, the process keeps
// running, a model is unchanged by a call that failed, and no tensor is leaked.
import { describe, it, expect, beforeAll } from 'vitest';
import * as sn from '../../src/index.js';
import { rng } from '../helpers/random.js';

const SECONDS = Number(process.env.FUZZ_SECONDS ?? 4);
const SEED = Number(process.env.FUZZ_SEED ?? 20261126);

let random: () => number;
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));

/** Owned tensors made for arguments; disposed at the end of each case. */
let made: sn.Tensor[] = [];

function randomTensor(): sn.Tensor {
  const shape = Array.from({ length: int(0, 4) }, () => int(1, 5));
  const size = shape.reduce((a, b) => a * b, 1);
  const t = sn.tensor(Float32Array.from({ length: size }, () => pick([0, 1, 2, -1, 0.5, NaN, Infinity])), shape);
  made.push(t);
  if (random() < 0.1) t.dispose();
  return t;
}

function randomValue(depth = 0): unknown {
  switch (int(0, 15)) {
    case 0:
      return pick([0, 1, -1, 3, 0.5, 1e9, -1e-9, NaN, Infinity, -Infinity, 2 ** 31, Number.MAX_SAFE_INTEGER]);
    case 1:
      return pick(['', 'relu', 'same', 'valid', 'adam', 'accuracy', 'hello', '__proto__', 'constructor', 'x'.repeat(5000)]);
    case 2:
      return pick([null, undefined, true, false]);
    case 3:
      return pick([Symbol('s'), 10n, () => 1, new Date(0), /re/]);
    case 4:
      return depth > 2 ? [] : Array.from({ length: int(0, 4) }, () => randomValue(depth + 1));
    case 5:
      return depth > 2 ? [[1], 2] : [[1, 2], [3]]; // ragged
    case 6:
      return new Float32Array(pick([0, 1, 7, 784, 1_000_000]));
    case 7:
      return pick([new Int32Array(3), new Uint8Array(5), new ArrayBuffer(8), new Float64Array(4)]);
    case 8:
    case 9:
      return randomTensor();
    case 10: {
      if (depth > 2) return {};
      const o: Record<string, unknown> = {};
      for (let i = int(0, 4); i > 0; i--) {
        o[pick(['epochs', 'batchSize', 'shape', 'units', 'filters', 'kernelSize', 'strides', 'padding', 'activation', 'name', 'inputShape',
          'validationSplit', 'validationData', 'callbacks', 'optimizer', 'loss', 'metrics', 'learningRate', 'rate', 'poolSize', 'shuffle', 'initialEpoch'])] =
          randomValue(depth + 1);
      }
      return o;
    }
    case 11:
      return JSON.parse('{"__proto__": {"polluted": 1}, "constructor": 3}');
    case 12:
      return [randomTensor(), randomTensor()];
    case 13:
      return { units: int(-1, 4), inputShape: [int(0, 3)], activation: pick(['relu', 'softmax', 'bogus', 7]) };
    case 14:
      return Array.from({ length: int(1, 3) }, () => int(-1, 6));
    default:
      return Object.create(null);
  }
}

function snapshot(model: sn.Sequential): number[][] {
  const ws = model.getWeights();
  const out = ws.map((w) => Array.from(w.dataSync()));
  ws.forEach((w) => w.dispose());
  return out;
}

/** Frees whatever a successful call returned (a tensor, tensors, a model). */
function disposeResult(r: unknown): void {
  if (r instanceof sn.Tensor) r.dispose();
  else if (Array.isArray(r)) r.forEach(disposeResult);
  else if (r instanceof sn.Sequential) r.dispose();
}

/** What went wrong, one line per kind of problem (so a run reports every kind at once, not just the first). */
let problems = new Map<string, string>();

function problem(kind: string, detail: string): void {
  if (!problems.has(kind)) problems.set(kind, detail);
}

function checkFailure(e: unknown, what: string): void {
  if (!(e instanceof Error)) return problem(`not an Error: ${typeof e}`, what);
  const message = e.message;
  if (message.length >= 1000) problem(`message of ${message.length} characters: ${message.slice(0, 80)}`, what);
  // Our own errors start with "simdnet"; anything else is an internal error leaking out.
  if (!/^simdnet/.test(message)) problem(`internal error: ${message.slice(0, 100)}`, `${what}\n${e.stack?.split('\n').slice(1, 4).join('\n')}`);
}

function report(): void {
  const lines = [...problems].map(([kind, detail]) => `${kind}\n    in ${detail.slice(0, 400)}`);
  problems = new Map();
  expect(lines).toEqual([]);
}

beforeAll(async () => {
  await sn.ready();
});

describe('fuzzing the public API', () => {
  it(`random arguments: simdnet errors only, no leak, model unchanged by failed calls (seed ${SEED}, ${SECONDS} s)`, async () => {
    random = rng(SEED);
    sn.setSeed(1);
    const model = sn.sequential([
      sn.layers.conv2d({ filters: 2, kernelSize: 2, activation: 'relu', inputShape: [4, 4, 1] }),
      sn.layers.flatten(),
      sn.layers.dense({ units: 3, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const liveAtStart = sn.memoryInfo().liveTensors;
    let weights = snapshot(model);

    type Call = [string, (a: unknown, b: unknown, c: unknown) => unknown];
    const calls: Call[] = [
      ['sn.tensor', (a, b) => sn.tensor(a as never, b as never)],
      ['predict', (a, b) => model.predict(a as never, b as never)],
      ['evaluate', (a, b, c) => model.evaluate(a as never, b as never, c as never)],
      ['fit', (a, b, c) => model.fit(a as never, b as never, c as never)],
      ['trainOnBatch', (a, b) => model.trainOnBatch(a as never, b as never)],
      ['setWeights', (a) => model.setWeights(a as never)],
      ['getLayer', (a) => model.getLayer(a as never)],
      ['compile', (a) => model.compile(a as never)],
      ['summary', (a) => model.summary(a as never)],
      ['save', (a) => model.save(a as never)],
      ['layers.dense', (a) => sn.layers.dense(a as never)],
      ['layers.conv2d', (a) => sn.layers.conv2d(a as never)],
      ['layers.maxPooling2d', (a) => sn.layers.maxPooling2d(a as never)],
      ['layers.dropout', (a) => sn.layers.dropout(a as never)],
      ['layers.batchNormalization', (a) => sn.layers.batchNormalization(a as never)],
      ['optimizers.adam', (a) => sn.optimizers.adam(a as never)],
      ['optimizers.sgd', (a) => sn.optimizers.sgd(a as never)],
      ['sequential', (a) => sn.sequential(a as never)],
      ['loadModel', (a) => sn.loadModel(a as never)],
      ['data.parseIdx', (a, b) => sn.data.parseIdx(a as never, b as never)],
    ];

    const until = Date.now() + SECONDS * 1000;
    let cases = 0;
    let failures = 0;
    while (Date.now() < until) {
      const [name, call] = pick(calls);
      const args = [randomValue(), randomValue(), randomValue()];
      const what = `case ${cases} ${name}`;
      let result: unknown;
      let error: unknown = null;
      try {
        result = await call(args[0], args[1], args[2]);
      } catch (e) {
        error = e;
      }
      if (error) {
        failures++;
        checkFailure(error, what);
        if (JSON.stringify(snapshot(model)) !== JSON.stringify(weights)) {
          problem(`${name} changed the model and failed`, what);
          weights = snapshot(model);
        }
      } else {
        disposeResult(result);
        if (name === 'compile' || name === 'fit' || name === 'trainOnBatch' || name === 'setWeights') weights = snapshot(model);
      }
      for (const t of made) t.dispose();
      made = [];
      const live = sn.memoryInfo().liveTensors;
      if (live !== liveAtStart) problem(`${name} leaked ${live - liveAtStart} tensors`, what);
      cases++;
    }
    report();
    expect(cases).toBeGreaterThan(50);
    expect(failures).toBeGreaterThan(0);
    model.dispose();
  }, 60_000);

  it(`random mutations of a saved model: loads or fails with a simdnet error, leaking nothing (seed ${SEED})`, async () => {
    random = rng(SEED + 1);
    const model = sn.sequential([
      sn.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [5, 5, 2] }),
      sn.layers.maxPooling2d({ poolSize: 2 }),
      sn.layers.batchNormalization(),
      sn.layers.flatten(),
      sn.layers.dropout({ rate: 0.2 }),
      sn.layers.dense({ units: 4, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const saved = await model.save();
    const json = JSON.stringify({ modelTopology: saved.modelTopology, weightSpecs: saved.weightSpecs, trainingConfig: saved.trainingConfig });
    const liveAtStart = sn.memoryInfo().liveTensors;

    /** What a model.json can hold: numbers (NaN and ±Infinity too, for artifacts made in JS), strings, null, lists, objects. */
    function jsonValue(depth = 0): unknown {
      switch (int(0, 6)) {
        case 0:
          return pick([0, 1, -1, 3, 0.5, 1e9, NaN, Infinity, 2 ** 31, -0]);
        case 1:
          return pick(['', 'relu', 'same', 'Dense', 'Conv2D', 'InputLayer', 'Sequential', '__proto__', 'constructor', 'x'.repeat(5000)]);
        case 2:
          return pick([null, true, false]);
        case 3:
          return depth > 2 ? [] : Array.from({ length: int(0, 4) }, () => jsonValue(depth + 1));
        case 4:
          return Array.from({ length: int(1, 4) }, () => int(-1, 6));
        case 5:
          return JSON.parse('{"__proto__": {"class_name": "Dense"}, "constructor": 3}');
        default:
          return depth > 2 ? {} : { class_name: pick(['Dense', 'Flatten', 'Nope']), config: { units: int(-1, 3), name: pick(['a', 'a', 'b']) } };
      }
    }

    /** Replaces, deletes or renames one random node of a JSON tree. */
    function mutate(node: unknown): unknown {
      if (node === null || typeof node !== 'object') return jsonValue();
      const keys = Object.keys(node);
      if (keys.length === 0) return jsonValue();
      const key = pick(keys);
      const obj = node as Record<string, unknown>;
      const r = random();
      if (r < 0.5 && obj[key] !== null && typeof obj[key] === 'object') obj[key] = mutate(obj[key]);
      else if (r < 0.7) delete obj[key];
      // An own property, as JSON.parse makes it (assigning to '__proto__' would change the prototype instead).
      else if (r < 0.8) Object.defineProperty(obj, pick(['__proto__', 'constructor', 'class_name', 'name', key + '_']), { value: obj[key], enumerable: true, writable: true, configurable: true });
      else obj[key] = jsonValue();
      return node;
    }

    const until = Date.now() + SECONDS * 1000;
    let cases = 0;
    let loaded = 0;
    while (Date.now() < until) {
      const a = JSON.parse(json) as sn.ModelArtifacts;
      for (let m = int(1, 3); m > 0; m--) mutate(a);
      const weightData = random() < 0.8 ? saved.weightData : new ArrayBuffer(int(0, 64) * 4);
      try {
        const m = await sn.loadModel({ ...a, weightData } as sn.ModelArtifacts);
        loaded++;
        m.dispose();
      } catch (e) {
        checkFailure(e, `mutation ${cases}`);
      }
      const leaked = sn.memoryInfo().liveTensors - liveAtStart;
      if (leaked !== 0) problem(`loadModel leaked ${leaked} tensors`, `mutation ${cases}`);
      cases++;
    }
    report();
    expect(cases).toBeGreaterThan(50);
    expect(loaded).toBeGreaterThan(0);
    model.dispose();
  }, 60_000);
});
