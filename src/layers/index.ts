// `sn.layers`: factory functions named as in TensorFlow.js (`sn.layers.conv2d({...})`), and the classes.
import { Conv2D, type Conv2DArgs } from './conv2d.js';
import { Conv1D, type Conv1DArgs } from './conv1d.js';
import { Dense, type DenseArgs } from './dense.js';
import { MaxPooling2D } from './max-pooling2d.js';
import { AveragePooling2D } from './average-pooling2d.js';
import { MaxPooling1D } from './max-pooling1d.js';
import { AveragePooling1D } from './average-pooling1d.js';
import type { Pooling1DArgs, Pooling2DArgs } from './pooling-base.js';
import { GlobalAveragePooling2D } from './global-average-pooling2d.js';
import { GlobalMaxPooling2D } from './global-max-pooling2d.js';
import { Flatten } from './flatten.js';
import { Dropout, type DropoutArgs } from './dropout.js';
import { Activation, type ActivationArgs } from './activation.js';
import { LeakyReLU, type LeakyReLUArgs } from './leaky-relu.js';
import { Maxout, type MaxoutArgs } from './maxout.js';
import { BatchNormalization, type BatchNormalizationArgs } from './batch-normalization.js';
import type { LayerArgs } from './layer.js';
import { InputLayer, type InputLayerArgs } from './input-layer.js';
import { Add, Subtract, Multiply, Average, Maximum, Minimum } from './merge.js';
import { Concatenate, type ConcatenateArgs } from './concatenate.js';

export { Layer } from './layer.js';
export { Node } from './node.js';
export type { LayerArgs, Param } from './layer.js';
export type { ActivationName } from './activations.js';
export type {
  Conv2DArgs,
  Conv1DArgs,
  DenseArgs,
  Pooling1DArgs,
  Pooling2DArgs,
  DropoutArgs,
  ActivationArgs,
  LeakyReLUArgs,
  MaxoutArgs,
  BatchNormalizationArgs,
  InputLayerArgs,
  ConcatenateArgs,
};
export {
  Conv2D,
  Conv1D,
  Dense,
  MaxPooling2D,
  AveragePooling2D,
  MaxPooling1D,
  AveragePooling1D,
  GlobalAveragePooling2D,
  GlobalMaxPooling2D,
  Flatten,
  Dropout,
  Activation,
  LeakyReLU,
  Maxout,
  BatchNormalization,
  InputLayer,
  Add,
  Subtract,
  Multiply,
  Average,
  Maximum,
  Minimum,
  Concatenate,
};
export { MergeLayer } from './merge-base.js';

export const conv2d = (args: Conv2DArgs): Conv2D => new Conv2D(args);
export const conv1d = (args: Conv1DArgs): Conv1D => new Conv1D(args);
export const dense = (args: DenseArgs): Dense => new Dense(args);
export const maxPooling2d = (args: Pooling2DArgs = {}): MaxPooling2D => new MaxPooling2D(args);
export const averagePooling2d = (args: Pooling2DArgs = {}): AveragePooling2D => new AveragePooling2D(args);
export const maxPooling1d = (args: Pooling1DArgs = {}): MaxPooling1D => new MaxPooling1D(args);
export const averagePooling1d = (args: Pooling1DArgs = {}): AveragePooling1D => new AveragePooling1D(args);
export const globalAveragePooling2d = (args: LayerArgs = {}): GlobalAveragePooling2D => new GlobalAveragePooling2D(args);
export const globalMaxPooling2d = (args: LayerArgs = {}): GlobalMaxPooling2D => new GlobalMaxPooling2D(args);
export const flatten = (args: LayerArgs = {}): Flatten => new Flatten(args);
export const dropout = (args: DropoutArgs): Dropout => new Dropout(args);
export const activation = (args: ActivationArgs): Activation => new Activation(args);
export const leakyReLU = (args: LeakyReLUArgs = {}): LeakyReLU => new LeakyReLU(args);
export const maxout = (args: MaxoutArgs = {}): Maxout => new Maxout(args);
export const batchNormalization = (args: BatchNormalizationArgs = {}): BatchNormalization => new BatchNormalization(args);
export const inputLayer = (args: InputLayerArgs): InputLayer => new InputLayer(args);
// Merge layers: `sn.layers.add().apply([a, b])`.
export const add = (args: LayerArgs = {}): Add => new Add(args);
/** Keras's Subtract; TF.js 4.22 has none, so models using it load in simdnet and Keras, not in TF.js. */
export const subtract = (args: LayerArgs = {}): Subtract => new Subtract(args);
export const multiply = (args: LayerArgs = {}): Multiply => new Multiply(args);
export const average = (args: LayerArgs = {}): Average => new Average(args);
export const maximum = (args: LayerArgs = {}): Maximum => new Maximum(args);
export const minimum = (args: LayerArgs = {}): Minimum => new Minimum(args);
export const concatenate = (args: ConcatenateArgs = {}): Concatenate => new Concatenate(args);
