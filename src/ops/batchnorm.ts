// Batch normalization over the last axis (per channel; rows = every other axis).
//
// Moving variance: TF.js (tfjs-layers BatchNormalization) and Keras 3 move it toward the BIASED batch
// variance (divided by rows), the value that also normalizes the batch; tf.keras 2 did the same when not
// fused but its fused op (the default for 4D inputs) used the unbiased one (rows - 1), an inconsistency
// reported as tensorflow/tensorflow#55545. We follow TF.js, the API we mirror: biased by default, so a model
// trained here and in TF.js gets the same moving statistics. `unbiasedMovingVariance` opts into the
// Bessel-corrected update (the batch-norm paper's rule); it changes only the moving variance.
import { engine } from '../backend/engine.js';
import type { Tensor } from '../tensor.js';
import { withTemp } from './temp.js';
import { refuseAliasing } from './alias.js';
import { sameShape } from './checks.js';

const fmt = (t: Tensor): string => `[${t.shape}]`;

/** Channels C of x (last axis) and rows = size / C, after checking every per-channel tensor is (C). */
function rowsAndChannels(op: string, x: Tensor, perChannel: Record<string, Tensor>, alike: Record<string, Tensor>): [number, number] {
  if (x.rank < 1 || x.size === 0) throw new Error(`${op}: x ${fmt(x)} must have at least one element`);
  const c = x.shape[x.rank - 1];
  for (const [name, t] of Object.entries(perChannel)) {
    if (!sameShape(t.shape, [c])) throw new Error(`${op}: ${name} must be [${c}] for x ${fmt(x)}, got ${fmt(t)}`);
  }
  for (const [name, t] of Object.entries(alike)) {
    if (!sameShape(t.shape, x.shape)) throw new Error(`${op}: ${name} must be shaped like x ${fmt(x)}, got ${fmt(t)}`);
  }
  return [x.size / c, c];
}

function scratchFor(c: number): number {
  const e = engine();
  return e.scratch(e.kernels.batchnorm_scratch_bytes(c));
}

/**
 * Training forward: normalizes x with its batch statistics, saves mean and 1/sqrt(var + epsilon) for
 * backward, and updates movingMean/movingVariance in place (moving = moving * momentum + batch * (1 - momentum)).
 * y may be x.
 */
export function batchNormTrainForward(
  x: Tensor, gamma: Tensor, beta: Tensor, y: Tensor, savedMean: Tensor, savedInvStd: Tensor,
  movingMean: Tensor, movingVariance: Tensor, momentum: number, epsilon: number,
  unbiasedMovingVariance = false,
): void {
  const op = 'batchNormTrainForward';
  const [rows, c] = rowsAndChannels(op, x, { gamma, beta, savedMean, savedInvStd, movingMean, movingVariance }, { y });
  const varianceFactor = unbiasedMovingVariance && rows > 1 ? rows / (rows - 1) : 1;
  const scratch = scratchFor(c);
  refuseAliasing('batchNormTrainForward', { y, savedMean, savedInvStd, movingMean, movingVariance }, { x, gamma, beta }, true);
  engine().kernels.batchnorm_train_forward_f32(
    x.ptr, gamma.ptr, beta.ptr, y.ptr, savedMean.ptr, savedInvStd.ptr, movingMean.ptr, movingVariance.ptr,
    rows, c, momentum, epsilon, varianceFactor, scratch,
  );
  // No optimizer marks the moving statistics: what is derived from them (predict's folds) must see the change.
  movingMean.markWritten();
  movingVariance.markWritten();
}

/** Inference forward: y = gamma * (x - movingMean) / sqrt(movingVariance + epsilon) + beta. y may be x. */
export function batchNormInferForward(
  x: Tensor, gamma: Tensor, beta: Tensor, movingMean: Tensor, movingVariance: Tensor, y: Tensor, epsilon: number,
): void {
  const [rows, c] = rowsAndChannels('batchNormInferForward', x, { gamma, beta, movingMean, movingVariance }, { y });
  const scratch = scratchFor(c);
  refuseAliasing('batchNormInferForward', { y }, { x, gamma, beta, movingMean, movingVariance }, true);
  engine().kernels.batchnorm_infer_forward_f32(x.ptr, gamma.ptr, beta.ptr, movingMean.ptr, movingVariance.ptr, y.ptr, rows, c, epsilon, scratch);
}

/**
 * Backward of the training forward (with the statistics it saved): dbeta = Σ dy, dgamma = Σ dy * xhat,
 * dx = gamma * invStd * (dy - mean(dy) - xhat * mean(dy * xhat)). Pass null for an output not wanted; dx may be dy.
 * With `accumulate`, dgamma and dbeta are added to instead of overwritten (through a temporary).
 */
export function batchNormBackward(
  x: Tensor, dy: Tensor, gamma: Tensor, savedMean: Tensor, savedInvStd: Tensor,
  dx: Tensor | null, dgamma: Tensor | null, dbeta: Tensor | null, accumulate = false,
): void {
  const perChannel: Record<string, Tensor> = { gamma, savedMean, savedInvStd };
  if (dgamma) perChannel.dgamma = dgamma;
  if (dbeta) perChannel.dbeta = dbeta;
  const alike: Record<string, Tensor> = { dy };
  if (dx) alike.dx = dx;
  const [rows, c] = rowsAndChannels('batchNormBackward', x, perChannel, alike);
  refuseAliasing('batchNormBackward', { dx, dgamma, dbeta }, { x, dy, gamma, savedMean, savedInvStd }, true);
  const k = engine().kernels;
  const run = (dg: number, db: number): void => {
    k.batchnorm_backward_f32(x.ptr, dy.ptr, gamma.ptr, savedMean.ptr, savedInvStd.ptr, dx?.ptr ?? 0, dg, db, rows, c, scratchFor(c));
  };
  if (!accumulate || (!dgamma && !dbeta)) {
    run(dgamma?.ptr ?? 0, dbeta?.ptr ?? 0);
    return;
  }
  withTemp(2 * c, (tmp) => {
    run(dgamma ? tmp : 0, dbeta ? tmp + 4 * c : 0);
    if (dgamma) k.add_f32(dgamma.ptr, dgamma.ptr, tmp, c);
    if (dbeta) k.add_f32(dbeta.ptr, dbeta.ptr, tmp + 4 * c, c);
  });
}
