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
};

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
