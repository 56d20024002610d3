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
import { DepthwiseConv2D, type DepthwiseConv2DArgs } from './depthwise-conv2d.js';
import { SeparableConv2D, type SeparableConv2DArgs } from './separable-conv2d.js';
import { Conv2DTranspose, type Conv2DTransposeArgs } from './conv2d-transpose.js';
import { Conv3D, type Conv3DArgs } from './conv3d.js';
import { MaxPooling3D, AveragePooling3D, type Pooling3DArgs } from './pooling3d.js';
import { UpSampling2D, type UpSampling2DArgs } from './up-sampling2d.js';
import { ZeroPadding2D, type ZeroPadding2DArgs } from './zero-padding2d.js';
import { Cropping2D, type Cropping2DArgs } from './cropping2d.js';
import { Reshape, type ReshapeArgs } from './reshape.js';
import { GlobalAveragePooling1D, GlobalMaxPooling1D } from './global-pooling1d.js';
import { PReLU, type PReLUArgs } from './prelu.js';
import { Permute, type PermuteArgs } from './permute.js';
import { LayerNormalization, type LayerNormalizationArgs } from './layer-normalization.js';
import { Softmax, ReLU, ELU, type SoftmaxArgs, type ReLUArgs, type ELUArgs } from './activation-layers.js';
import { RandomTranslation, RandomRotation, RandomZoom, RandomFlip, type RandomTranslationArgs, type RandomRotationArgs, type RandomZoomArgs, type RandomFlipArgs } from './random-warps.js';
import { RandomContrast, type RandomContrastArgs } from './random-contrast.js';
import { Rescaling, type RescalingArgs } from './rescaling.js';
import { Resizing, type ResizingArgs } from './resizing.js';

export { Layer } from './layer.js';
export { Node } from './node.js';
export type { LayerArgs, RegularizerArgs, Param } from './layer.js';
export type { ActivationName } from './activations.js';
export type { Margins2D } from './zero-padding2d.js';
export { AugmentationLayer } from './augmentation.js';
export type { AugmentationArgs } from './augmentation.js';
export type { WarpArgs, FlipMode } from './random-warps.js';
export type { FillMode } from '../ops/augment.js';
export type { RandomTranslationArgs, RandomRotationArgs, RandomZoomArgs, RandomFlipArgs, RandomContrastArgs, RescalingArgs, ResizingArgs };
export { RandomTranslation, RandomRotation, RandomZoom, RandomFlip, RandomContrast, Rescaling, Resizing };
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
  DepthwiseConv2DArgs,
  SeparableConv2DArgs,
  Conv2DTransposeArgs,
  Conv3DArgs,
  Pooling3DArgs,
  UpSampling2DArgs,
  ZeroPadding2DArgs,
  Cropping2DArgs,
  ReshapeArgs,
  SoftmaxArgs,
  ReLUArgs,
  ELUArgs,
  PReLUArgs,
  PermuteArgs,
  LayerNormalizationArgs,
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
  DepthwiseConv2D,
  SeparableConv2D,
  Conv2DTranspose,
  Conv3D,
  MaxPooling3D,
  AveragePooling3D,
  UpSampling2D,
  ZeroPadding2D,
  Cropping2D,
  Reshape,
  GlobalAveragePooling1D,
  GlobalMaxPooling1D,
  Softmax,
  ReLU,
  ELU,
  PReLU,
  Permute,
  LayerNormalization,
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
export const depthwiseConv2d = (args: DepthwiseConv2DArgs): DepthwiseConv2D => new DepthwiseConv2D(args);
export const separableConv2d = (args: SeparableConv2DArgs): SeparableConv2D => new SeparableConv2D(args);
export const conv2dTranspose = (args: Conv2DTransposeArgs): Conv2DTranspose => new Conv2DTranspose(args);
export const conv3d = (args: Conv3DArgs): Conv3D => new Conv3D(args);
export const maxPooling3d = (args: Pooling3DArgs = {}): MaxPooling3D => new MaxPooling3D(args);
export const averagePooling3d = (args: Pooling3DArgs = {}): AveragePooling3D => new AveragePooling3D(args);
export const upSampling2d = (args: UpSampling2DArgs = {}): UpSampling2D => new UpSampling2D(args);
export const zeroPadding2d = (args: ZeroPadding2DArgs = {}): ZeroPadding2D => new ZeroPadding2D(args);
export const cropping2D = (args: Cropping2DArgs = {}): Cropping2D => new Cropping2D(args);
export const reshape = (args: ReshapeArgs): Reshape => new Reshape(args);
export const globalAveragePooling1d = (args: LayerArgs = {}): GlobalAveragePooling1D => new GlobalAveragePooling1D(args);
export const globalMaxPooling1d = (args: LayerArgs = {}): GlobalMaxPooling1D => new GlobalMaxPooling1D(args);
export const softmax = (args: SoftmaxArgs = {}): Softmax => new Softmax(args);
export const reLU = (args: ReLUArgs = {}): ReLU => new ReLU(args);
export const elu = (args: ELUArgs = {}): ELU => new ELU(args);
export const prelu = (args: PReLUArgs = {}): PReLU => new PReLU(args);
export const permute = (args: PermuteArgs): Permute => new Permute(args);
export const layerNormalization = (args: LayerNormalizationArgs = {}): LayerNormalization => new LayerNormalization(args);
// Preprocessing and augmentation (Keras names; the random ones act only in fit: see augmentation.ts).
export const randomTranslation = (args: RandomTranslationArgs): RandomTranslation => new RandomTranslation(args);
export const randomRotation = (args: RandomRotationArgs): RandomRotation => new RandomRotation(args);
export const randomZoom = (args: RandomZoomArgs): RandomZoom => new RandomZoom(args);
export const randomFlip = (args: RandomFlipArgs = {}): RandomFlip => new RandomFlip(args);
export const randomContrast = (args: RandomContrastArgs): RandomContrast => new RandomContrast(args);
export const rescaling = (args: RescalingArgs): Rescaling => new Rescaling(args);
export const resizing = (args: ResizingArgs): Resizing => new Resizing(args);
