// TerminateOnNaN (Keras): stop training at the first batch whose loss is NaN or ±Infinity. simdnet
// checks the loss before the update (a non-finite loss would otherwise make fit throw, with the weights
// of before that batch); with this callback fit stops instead and resolves with the history so far, the
// bad batch's loss in its epoch's logs. The weights are those from before the bad batch (Keras's have
// taken the bad update already).
import type { Logs } from '../model/fit.js';
import { Callback } from './callback.js';

export class TerminateOnNaN extends Callback {
  /** fit reads this: a non-finite loss stops training instead of throwing. */
  readonly stopsOnNonFiniteLoss = true;

  onBatchEnd(_batch: number, logs: Logs): void {
    const loss = logs?.loss;
    if (typeof loss === 'number' && !Number.isFinite(loss)) this.fitted('terminateOnNaN').stopTraining = true;
  }
}

export const terminateOnNaN = (): TerminateOnNaN => new TerminateOnNaN();
