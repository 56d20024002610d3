// TF.js 4.22 for the tests that compare layers with it: the copy bench/'s install brings (`npm ci --prefix
// bench`, which CI runs), on its plain CPU backend. Tests skip their TF.js cases where it is missing.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const tfjsDir = join(dirname(fileURLToPath(import.meta.url)), '../../bench/node_modules/@tensorflow/tfjs');

export const haveTfjs = existsSync(join(tfjsDir, 'package.json'));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Tf = any;

/** Imports TF.js and selects its CPU backend. */
export async function loadTfjs(): Promise<Tf> {
  const tf = await import(/* @vite-ignore */ join(tfjsDir, 'dist/tf.node.js'));
  await tf.setBackend('cpu');
  return tf;
}
