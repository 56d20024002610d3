// The training loop: epochs of shuffled batches, validation, callbacks, history — TF.js's model.fit.
// Inputs and labels are checked once before anything runs, so a bad call changes nothing. Between batches
// the loop yields to the event loop so a page stays responsive.
import type { Tensor } from '../tensor.js';
import { shuffleInPlace } from '../random.js';
import { checkBatchSize, yieldToEventLoop } from './batch.js';
import type { Model, TensorOrList, BatchResult } from './model.js';
import { describeValue } from '../describe.js';
import { checkVerbose, progressLogger } from './progress.js';

export type Logs = Record<string, number>;

export interface Callbacks {
  onTrainBegin?: (logs?: Logs) => unknown;
  onTrainEnd?: (logs?: Logs) => unknown;
  onEpochBegin?: (epoch: number, logs?: Logs) => unknown;
  onEpochEnd?: (epoch: number, logs: Logs) => unknown;
  onBatchBegin?: (batch: number, logs?: Logs) => unknown;
  onBatchEnd?: (batch: number, logs: Logs) => unknown;
  /** Called with the model before onTrainBegin (TF.js's BaseCallback.setModel; `sn.callbacks.*` use it). */
  setModel?: (model: Model) => unknown;
  /** `sn.callbacks.terminateOnNaN()`: a non-finite loss stops fit (which resolves) instead of throwing. */
  stopsOnNonFiniteLoss?: boolean;
}

export interface FitArgs {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  /** [x, y], each a Tensor or one per input/output (as fit's x and y). */
  validationData?: [TensorOrList, TensorOrList];
  /** Fraction of the samples, taken from the end before shuffling (as Keras), used for validation. */
  validationSplit?: number;
  callbacks?: Callbacks | Callbacks[];
  /** Node: 1 a progress line per epoch (default on a terminal), 2 one line per epoch, 0 nothing; browsers print nothing. */
  verbose?: 0 | 1 | 2;
  initialEpoch?: number;
}

export interface History {
  epoch: number[];
  /** Per epoch, every log fit reports: loss, acc, val_loss, val_acc, and `<output>_loss`/`_acc` with several outputs. */
  history: { loss: number[]; acc?: number[]; val_loss?: number[]; val_acc?: number[]; [log: string]: number[] | undefined };
}

export async function call(list: Callbacks[], name: keyof Callbacks, ...args: unknown[]): Promise<void> {
  for (const cb of list) {
    const f = cb[name] as ((...a: unknown[]) => unknown) | undefined;
    if (f) await f.apply(cb, args); // a callback object's methods see it as `this`
  }
}

/** The callbacks argument: one object or an array of them, whose hooks are functions. */
export function checkCallbacks(callbacks: FitArgs['callbacks'], who: string): Callbacks[] {
  if (callbacks === undefined || callbacks === null) return [];
  const list = Array.isArray(callbacks) ? callbacks : [callbacks];
  for (const cb of list) {
    if (cb === null || typeof cb !== 'object') throw new Error(`simdnet: ${who}: a callback must be an object of hooks such as { onEpochEnd }, got ${describeValue(cb)}`);
    for (const [key, f] of Object.entries(cb)) {
      if (HOOKS.has(key) && typeof f !== 'function') throw new Error(`simdnet: ${who}: callback ${key} must be a function, got ${describeValue(f)}`);
    }
  }
  return list;
}

const HOOKS = new Set(['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd', 'setModel']);

/** Hands the model to the callbacks that take it, then runs onTrainBegin. */
export async function beginTraining(list: Callbacks[], model: Model): Promise<void> {
  for (const cb of list) if (typeof cb.setModel === 'function') await cb.setModel(model);
  await call(list, 'onTrainBegin', {});
}

/**
 * One training batch. A non-finite loss throws (the batch is not applied) unless a callback such as
 * terminateOnNaN asks fit to stop instead: then it returns that loss and sets model.stopTraining.
 */
export function trainStep(model: Model, list: Callbacks[], run: () => BatchResult, outputs: number): BatchResult {
  try {
    return run();
  } catch (e) {
    const loss = (e as { nonFiniteLoss?: number }).nonFiniteLoss;
    if (loss === undefined || !list.some((cb) => cb.stopsOnNonFiniteLoss)) throw e;
    model.stopTraining = true;
    return { loss, perOutput: Array.from({ length: outputs }, () => ({ loss, correct: 0 })) };
  }
}

/** Appends an epoch's logs to the history (after onEpochEnd, so logs that callbacks add are kept, as Keras). */
export function record(history: History, epoch: number, logs: Logs): void {
  history.epoch.push(epoch);
  for (const [key, value] of Object.entries(logs)) (history.history[key] ??= []).push(value);
}

export async function fitLoop(model: Model, x: TensorOrList, y: TensorOrList, args: FitArgs): Promise<History> {
  const who = `${model.name}.fit`;
  if (model.isTraining) throw new Error(`simdnet: ${who}: another fit() on this model is still running`);
  model.isTraining = true;
  try {
    return await train(model, x, y, args, who);
  } finally {
    model.isTraining = false;
    model.releaseBatchMemory();
  }
}

/** Adds a batch's result (weighted by its row count) into running sums. */
export function addInto(sum: BatchResult, r: BatchResult, count: number): void {
  sum.loss += r.loss * count;
  r.perOutput.forEach((o, k) => {
    sum.perOutput[k].loss += o.loss * count;
    sum.perOutput[k].correct += o.correct;
  });
}

async function train(model: Model, x: TensorOrList, y: TensorOrList, args: FitArgs, who: string): Promise<History> {
  model.checkAlive('fit');
  model.requireCompiled('fit');
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    throw new Error(`simdnet: ${who}: options must be an object such as { epochs: 5, batchSize: 32 }, got ${describeValue(args)}`);
  }
  const xs = model.inputList(x, 'fit');
  const n = xs[0].shape[0];
  const ys = model.labelList(y, n, 'fit');
  model.checkFiniteInputs(xs, 'fit');
  const epochs = args.epochs ?? 1;
  const initialEpoch = args.initialEpoch ?? 0;
  if (!Number.isInteger(epochs) || epochs < 0) throw new Error(`simdnet: ${who}: epochs must be a non-negative integer, got ${describeValue(epochs)}`);
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0) {
    throw new Error(`simdnet: ${who}: initialEpoch must be a non-negative integer, got ${describeValue(initialEpoch)}`);
  }
  const batchSize = checkBatchSize(args.batchSize ?? 32, who);
  if (args.shuffle !== undefined && typeof args.shuffle !== 'boolean') {
    throw new Error(`simdnet: ${who}: shuffle must be true or false, got ${describeValue(args.shuffle)}`);
  }
  let list = checkCallbacks(args.callbacks, who);
  const verbose = checkVerbose(args.verbose, who);

  let trainCount = n;
  let val: { xs: Tensor[]; ys: Tensor[]; start: number; count: number } | null = null;
  if (args.validationData !== undefined) {
    if (!Array.isArray(args.validationData) || args.validationData.length !== 2) {
      throw new Error(`simdnet: ${who}: validationData must be [x, y] (two Tensors), got ${describeValue(args.validationData)}`);
    }
    const [vx, vy] = args.validationData;
    const vxs = model.inputList(vx, 'fit (validationData)');
    const vys = model.labelList(vy, vxs[0].shape[0], 'fit (validationData)');
    model.checkFiniteInputs(vxs, 'fit (validationData)');
    val = { xs: vxs, ys: vys, start: 0, count: vxs[0].shape[0] };
  } else if (args.validationSplit !== undefined && args.validationSplit !== 0) {
    const split = args.validationSplit;
    if (!(typeof split === 'number' && split > 0 && split < 1)) {
      throw new Error(`simdnet: ${who}: validationSplit must be in (0, 1), got ${describeValue(split)}`);
    }
    trainCount = Math.floor(n * (1 - split));
    if (trainCount < 1 || trainCount >= n) {
      throw new Error(`simdnet: ${who}: validationSplit ${split} of ${n} samples leaves an empty training or validation set`);
    }
    val = { xs, ys, start: trainCount, count: n - trainCount };
  }

  const progress = progressLogger(verbose, epochs, Math.ceil(trainCount / batchSize));
  if (progress) list = [...list, progress]; // last, so it prints what the other callbacks add to the logs
  const history: History = { epoch: [], history: { loss: [] } };
  const order = new Int32Array(trainCount);
  for (let i = 0; i < trainCount; i++) order[i] = i;
  const shuffle = args.shuffle ?? true;
  model.stopTraining = false;
  const outputs = ys.length;

  await beginTraining(list, model);
  for (let epoch = initialEpoch; epoch < epochs && !model.stopTraining; epoch++) {
    await call(list, 'onEpochBegin', epoch, {});
    if (shuffle) shuffleInPlace(order);
    const sum: BatchResult = { loss: 0, perOutput: Array.from({ length: outputs }, () => ({ loss: 0, correct: 0 })) };
    let seen = 0;
    let batch = 0;
    for (let start = 0; start < trainCount && !model.stopTraining; start += batchSize, batch++) {
      const count = Math.min(batchSize, trainCount - start);
      await call(list, 'onBatchBegin', batch, { batch, size: count });
      const r = trainStep(model, list, () => model.trainBatch(xs, ys, order, start, count, `epoch ${epoch}, batch ${batch}`), outputs);
      addInto(sum, r, count);
      seen += count;
      const logs: Logs = { batch, size: count, ...model.logsOf(r, count) };
      await call(list, 'onBatchEnd', batch, logs);
      await yieldToEventLoop();
    }
    const mean: BatchResult = { loss: sum.loss / seen, perOutput: sum.perOutput.map((o) => ({ loss: o.loss / seen, correct: o.correct })) };
    const logs: Logs = model.logsOf(mean, seen);
    if (val) {
      const v = model.evaluateRows(val.xs, val.ys, null, val.start, val.count, batchSize);
      Object.assign(logs, model.logsOf(v, val.count, 'val_'));
    }
    await call(list, 'onEpochEnd', epoch, logs);
    record(history, epoch, logs);
  }
  await call(list, 'onTrainEnd', {});
  return history;
}
