// EarlyStopping (Keras 3 semantics): stop when the monitored log has not improved by more than minDelta
// for `patience` epochs; optionally put back the weights of the best epoch when training ends.
//
// Per epoch: wait += 1; an improvement (better than best by more than minDelta) records best and resets
// wait (unless a baseline is set and not beaten); otherwise, once wait ≥ patience (and past epoch 0),
// model.stopTraining = true. With restoreBestWeights, the best epoch's weights are copied (the first
// epoch's too, so there is always something to restore) and set back in onTrainEnd.
import type { Logs } from '../model/fit.js';
import type { Tensor } from '../tensor.js';
import { Callback, callbackArgs, checkMonitor, checkNumber, monitored, resolveMode, type Mode } from './callback.js';
import { describeValue } from '../describe.js';

export interface EarlyStoppingArgs {
  /** The log to watch (default 'val_loss'). */
  monitor?: string;
  /** The smallest change that counts as an improvement (default 0; its sign is ignored). */
  minDelta?: number;
  /** Epochs without improvement before stopping (default 0). */
  patience?: number;
  /** 'auto' (default: max for accuracies, min otherwise), 'min' or 'max'. */
  mode?: Mode;
  /** Training stops unless the log beats this value (default: none). */
  baseline?: number;
  /** Put back the weights of the best epoch when training ends (default false). */
  restoreBestWeights?: boolean;
  /** Epochs to train before watching (default 0). */
  startFromEpoch?: number;
}

const WHO = 'earlyStopping';

export class EarlyStopping extends Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly mode: 'min' | 'max';
  readonly baseline: number | null;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  /** Epochs since the last improvement. */
  wait = 0;
  /** The epoch fit stopped after (0 when it ran to the end). */
  stoppedEpoch = 0;
  best = Infinity;
  bestEpoch = 0;
  private bestWeights: Tensor[] | null = null;
  private warned = { done: false };

  constructor(args?: EarlyStoppingArgs) {
    super();
    const a = callbackArgs(args, WHO);
    this.monitor = checkMonitor(a.monitor ?? 'val_loss', WHO);
    this.minDelta = Math.abs(checkNumber(a.minDelta ?? 0, 'minDelta', WHO, -Infinity));
    this.patience = checkNumber(a.patience ?? 0, 'patience', WHO, 0, true);
    this.mode = resolveMode(a.mode ?? 'auto', this.monitor, WHO);
    this.baseline = a.baseline === undefined || a.baseline === null ? null : checkNumber(a.baseline, 'baseline', WHO, -Infinity);
    this.restoreBestWeights = a.restoreBestWeights ?? false;
    if (typeof this.restoreBestWeights !== 'boolean') throw new Error(`simdnet: ${WHO}: restoreBestWeights must be true or false, got ${describeValue(a.restoreBestWeights)}`);
    this.startFromEpoch = checkNumber(a.startFromEpoch ?? 0, 'startFromEpoch', WHO, 0, true);
  }

  /** Better than `reference` by more than minDelta, in this callback's direction. */
  private improves(value: number, reference: number): boolean {
    return this.mode === 'min' ? value + this.minDelta < reference : value - this.minDelta > reference;
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.bestEpoch = 0;
    this.dropWeights(); // left over from a fit that threw
    this.warned = { done: false };
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const model = this.fitted(WHO);
    const current = monitored(logs, this.monitor, WHO, this.warned);
    if (current === undefined || epoch < this.startFromEpoch) return;
    if (this.restoreBestWeights && !this.bestWeights) {
      this.bestWeights = model.getWeights();
      this.bestEpoch = epoch;
    }
    this.wait++;
    if (this.improves(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) {
        this.dropWeights();
        this.bestWeights = model.getWeights();
      }
      if (this.baseline === null || this.improves(current, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      model.stopTraining = true;
    }
  }

  onTrainEnd(): void {
    if (this.restoreBestWeights && this.bestWeights) this.fitted(WHO).setWeights(this.bestWeights);
    this.dropWeights();
  }

  private dropWeights(): void {
    if (this.bestWeights) for (const t of this.bestWeights) t.dispose();
    this.bestWeights = null;
  }
}

export const earlyStopping = (args?: EarlyStoppingArgs): EarlyStopping => new EarlyStopping(args);
