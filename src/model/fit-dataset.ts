// model.fitDataset as TF.js: batches come from a dataset (`iterator()` → `{ next(): Promise<{ value:
// { xs, ys }, done }> }`, TF.js's tf.data.Dataset among them) or, a simdnet extension, from any iterable or
// async iterable of `{ xs, ys }`. Without batchesPerEpoch each epoch takes a fresh iterator to its end; with
// it one iterator runs across epochs, and running out stops training (TF.js warns and stops too). The
// tensors of each batch are disposed after its step, as TF.js does, so data larger than memory streams
// through with flat memory.
import { Tensor } from '../tensor.js';
import { describeValue } from '../describe.js';
import { checkVerbose, progressLogger } from './progress.js';
import { yieldToEventLoop } from './batch.js';
import { addInto, beginTraining, call, checkCallbacks, record, trainStep, type Callbacks, type History, type Logs } from './fit.js';
import type { BatchResult, Model, TensorOrList } from './model.js';

/** One batch: inputs and labels, each a Tensor, one per input/output, or one per layer name. */
export interface DatasetBatch {
  xs: TensorOrList;
  ys: TensorOrList;
}

/** TF.js's dataset shape: `iterator()` (or a Promise of it) whose `next()` resolves to `{ value, done }`. */
export interface DatasetLike<T = DatasetBatch> {
  iterator(): { next(): Promise<IteratorResult<T>> | IteratorResult<T> } | Promise<{ next(): Promise<IteratorResult<T>> | IteratorResult<T> }>;
}

export type BatchSource = DatasetLike | AsyncIterable<DatasetBatch> | Iterable<DatasetBatch>;

export interface FitDatasetArgs {
  /** Required, as in TF.js. */
  epochs: number;
  /** Batches per epoch; without it an epoch is one pass over a fresh iterator. */
  batchesPerEpoch?: number;
  /** [x, y] tensors, or a dataset / iterable of `{ xs, ys }` batches (evaluated to its end each epoch). */
  validationData?: [TensorOrList, TensorOrList] | BatchSource;
  callbacks?: Callbacks | Callbacks[];
  initialEpoch?: number;
  /** As fit's: Node prints progress on stderr (1, the default on a terminal; 2 a line per epoch; 0 nothing). */
  verbose?: 0 | 1 | 2;
}

type Next = () => Promise<IteratorResult<DatasetBatch>>;

/** A `next` function over the source (a fresh iterator each call), or an error naming what it got. */
async function open(source: BatchSource, who: string): Promise<Next> {
  const s = source as Partial<DatasetLike> & Partial<AsyncIterable<DatasetBatch>> & Partial<Iterable<DatasetBatch>>;
  let it: { next(): unknown } | undefined;
  if (typeof s?.iterator === 'function') it = await s.iterator();
  else if (typeof s?.[Symbol.asyncIterator] === 'function') it = s[Symbol.asyncIterator]!();
  else if (typeof s?.[Symbol.iterator] === 'function') it = s[Symbol.iterator]!();
  else throw new Error(`simdnet: ${who}: expects a dataset (with iterator()) or an iterable of { xs, ys }, got ${describeValue(source)}`);
  if (!it || typeof it.next !== 'function') throw new Error(`simdnet: ${who}: the dataset's iterator has no next(), got ${describeValue(it)}`);
  const iterator = it;
  return async () => (await iterator.next()) as IteratorResult<DatasetBatch>;
}

/** The batch's value, checked: `{ xs, ys }`. */
function batchOf(v: unknown, who: string, where: string): DatasetBatch {
  if (v === null || typeof v !== 'object' || !('xs' in v) || !('ys' in v)) {
    throw new Error(`simdnet: ${who}: the dataset must yield objects { xs, ys }, but ${where} is ${describeValue(v)}`);
  }
  return v as DatasetBatch;
}

/** Frees every tensor of a batch (after its step, as TF.js does). */
function disposeBatch(b: DatasetBatch): void {
  for (const v of [b.xs, b.ys]) {
    const list = v instanceof Tensor ? [v] : Array.isArray(v) ? v : v && typeof v === 'object' ? Object.values(v) : [];
    for (const t of list) if (t instanceof Tensor) t.dispose();
  }
}

function emptySum(outputs: number): BatchResult {
  return { loss: 0, perOutput: Array.from({ length: outputs }, () => ({ loss: 0, correct: 0 })) };
}

function meanOf(sum: BatchResult, n: number): BatchResult {
  return { loss: sum.loss / n, perOutput: sum.perOutput.map((o) => ({ loss: o.loss / n, correct: o.correct })) };
}

export async function fitDatasetLoop(model: Model, dataset: BatchSource, args: FitDatasetArgs): Promise<History> {
  const who = `${model.name}.fitDataset`;
  if (model.isTraining) throw new Error(`simdnet: ${who}: another fit() on this model is still running`);
  model.isTraining = true;
  try {
    return await train(model, dataset, args, who);
  } finally {
    model.isTraining = false;
    model.releaseBatchMemory();
  }
}

async function train(model: Model, dataset: BatchSource, args: FitDatasetArgs, who: string): Promise<History> {
  model.checkAlive('fitDataset');
  model.requireCompiled('fitDataset');
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    throw new Error(`simdnet: ${who}: options must be an object such as { epochs: 5 }, got ${describeValue(args)}`);
  }
  const { epochs, batchesPerEpoch, initialEpoch = 0 } = args;
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`simdnet: ${who}: epochs must be a positive integer (TF.js requires it), got ${describeValue(epochs)}`);
  if (batchesPerEpoch !== undefined && (!Number.isInteger(batchesPerEpoch) || batchesPerEpoch < 1)) {
    throw new Error(`simdnet: ${who}: batchesPerEpoch must be a positive integer, got ${describeValue(batchesPerEpoch)}`);
  }
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0) throw new Error(`simdnet: ${who}: initialEpoch must be a non-negative integer, got ${describeValue(initialEpoch)}`);
  let list = checkCallbacks(args.callbacks, who);
  const progress = progressLogger(checkVerbose(args.verbose, who), epochs, batchesPerEpoch ?? null);
  if (progress) list = [...list, progress];
  let valTensors: { xs: Tensor[]; ys: Tensor[] } | null = null;
  const valSource = args.validationData;
  if (Array.isArray(valSource)) {
    if (valSource.length !== 2) throw new Error(`simdnet: ${who}: validationData must be [x, y] or a dataset, got ${describeValue(valSource)}`);
    const vxs = model.inputList(valSource[0], 'fitDataset (validationData)');
    valTensors = { xs: vxs, ys: model.labelList(valSource[1], vxs[0].shape[0], 'fitDataset (validationData)') };
    model.checkFiniteInputs(vxs, 'fitDataset (validationData)');
  }
  const outputs = model.outputNames.length;
  const history: History = { epoch: [], history: { loss: [] } };
  model.stopTraining = false;
  let shared: Next | null = batchesPerEpoch !== undefined ? await open(dataset, who) : null;

  await beginTraining(list, model);
  for (let epoch = initialEpoch; epoch < epochs && !model.stopTraining; epoch++) {
    await call(list, 'onEpochBegin', epoch, {});
    const next = shared ?? (await open(dataset, who));
    const sum = emptySum(outputs);
    let seen = 0;
    let batch = 0;
    for (; batchesPerEpoch === undefined || batch < batchesPerEpoch; batch++) {
      if (model.stopTraining) break;
      const item = await next();
      if (item.done) {
        if (batchesPerEpoch !== undefined) {
          // As TF.js: a shared iterator that runs out ends training (the data cannot fill the epoch).
          console.warn(`simdnet: ${who}: the dataset ran out after ${batch} of ${batchesPerEpoch} batches in epoch ${epoch}; training stops`);
          model.stopTraining = true;
        }
        break;
      }
      const b = batchOf(item.value, who, `batch ${batch} of epoch ${epoch}`);
      try {
        const xs = model.inputList(b.xs, 'fitDataset');
        const count = xs[0].shape[0];
        const ys = model.labelList(b.ys, count, 'fitDataset');
        model.checkFiniteInputs(xs, 'fitDataset');
        await call(list, 'onBatchBegin', batch, { batch, size: count });
        const r = trainStep(model, list, () => model.trainBatch(xs, ys, null, 0, count, `epoch ${epoch}, batch ${batch}`), outputs);
        addInto(sum, r, count);
        seen += count;
        await call(list, 'onBatchEnd', batch, { batch, size: count, ...model.logsOf(r, count) });
      } finally {
        disposeBatch(b);
      }
      await yieldToEventLoop();
    }
    if (seen === 0) {
      if (batchesPerEpoch === undefined && batch === 0) throw new Error(`simdnet: ${who}: the dataset yielded no batches in epoch ${epoch}`);
      break;
    }
    const logs: Logs = model.logsOf(meanOf(sum, seen), seen);
    if (valTensors) {
      const n = valTensors.xs[0].shape[0];
      Object.assign(logs, model.logsOf(model.evaluateRows(valTensors.xs, valTensors.ys, null, 0, n, 32), n, 'val_'));
    } else if (valSource !== undefined) {
      Object.assign(logs, await evaluateSource(model, valSource as BatchSource, who, outputs));
    }
    await call(list, 'onEpochEnd', epoch, logs);
    record(history, epoch, logs);
  }
  shared = null;
  await call(list, 'onTrainEnd', {});
  return history;
}

/** Validation logs over every batch of a dataset (disposed as they are used). */
async function evaluateSource(model: Model, source: BatchSource, who: string, outputs: number): Promise<Logs> {
  const next = await open(source, `${who} (validationData)`);
  const sum = emptySum(outputs);
  let seen = 0;
  for (let i = 0; ; i++) {
    const item = await next();
    if (item.done) break;
    const b = batchOf(item.value, `${who} (validationData)`, `batch ${i}`);
    try {
      const xs = model.inputList(b.xs, 'fitDataset (validationData)');
      const n = xs[0].shape[0];
      const ys = model.labelList(b.ys, n, 'fitDataset (validationData)');
      model.checkFiniteInputs(xs, 'fitDataset (validationData)');
      addInto(sum, model.evaluateRows(xs, ys, null, 0, n, Math.max(n, 1)), n);
      seen += n;
    } finally {
      disposeBatch(b);
    }
  }
  if (seen === 0) throw new Error(`simdnet: ${who}: validationData yielded no batches`);
  return model.logsOf(meanOf(sum, seen), seen, 'val_');
}
