// ReduceLROnPlateau (Keras): when the monitored log has not improved by more than minDelta for `patience`
// epochs, multiply the learning rate by `factor` (never below minLr), then wait `cooldown` epochs before
// counting again. The current rate is logged as `learning_rate`, as Keras 3 does.
import type { Logs } from '../model/fit.js';
import { Callback, callbackArgs, checkMonitor, checkNumber, monitored, resolveMode, type Mode } from './callback.js';

export interface ReduceLROnPlateauArgs {
  /** The log to watch (default 'val_loss'). */
  monitor?: string;
  /** The rate is multiplied by this (default 0.1; must be < 1). */
  factor?: number;
  /** Epochs without improvement before reducing (default 10). */
  patience?: number;
  /** 'auto' (default), 'min' or 'max'. */
  mode?: Mode;
  /** The smallest change that counts as an improvement (default 1e-4). */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** The rate never goes below this (default 0). */
  minLr?: number;
}

const WHO = 'reduceLROnPlateau';

export class ReduceLROnPlateau extends Callback {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly mode: 'min' | 'max';
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  wait = 0;
  cooldownCounter = 0;
  best = Infinity;
  private warned = { done: false };

  constructor(args?: ReduceLROnPlateauArgs) {
    super();
    const a = callbackArgs(args, WHO);
    this.monitor = checkMonitor(a.monitor ?? 'val_loss', WHO);
    this.factor = checkNumber(a.factor ?? 0.1, 'factor', WHO, 0);
    if (!(this.factor > 0 && this.factor < 1)) throw new Error(`simdnet: ${WHO}: factor must be in (0, 1), got ${this.factor}`);
    this.patience = checkNumber(a.patience ?? 10, 'patience', WHO, 0, true);
    this.mode = resolveMode(a.mode ?? 'auto', this.monitor, WHO);
    this.minDelta = checkNumber(a.minDelta ?? 1e-4, 'minDelta', WHO, 0);
    this.cooldown = checkNumber(a.cooldown ?? 0, 'cooldown', WHO, 0, true);
    this.minLr = checkNumber(a.minLr ?? 0, 'minLr', WHO, 0);
  }

  private improves(value: number): boolean {
    return this.mode === 'min' ? value < this.best - this.minDelta : value > this.best + this.minDelta;
  }

  onTrainBegin(): void {
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.wait = 0;
    this.cooldownCounter = 0;
    this.warned = { done: false };
  }

  onEpochEnd(_epoch: number, logs: Logs): void {
    const optimizer = this.fitted(WHO).optimizer!;
    const current = monitored(logs, this.monitor, WHO, this.warned);
    logs.learning_rate = optimizer.learningRate;
    if (current === undefined) return;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.wait = 0;
    }
    if (this.improves(current)) {
      this.best = current;
      this.wait = 0;
    } else if (this.cooldownCounter === 0) {
      this.wait++;
      if (this.wait >= this.patience) {
        const old = optimizer.learningRate;
        // Keras compares with float32(minLr) because it stores the rate in float32; simdnet keeps it as a double.
        if (old > this.minLr) {
          optimizer.learningRate = Math.max(old * this.factor, this.minLr);
          this.cooldownCounter = this.cooldown;
          this.wait = 0;
        }
      }
    }
  }
}

export const reduceLROnPlateau = (args?: ReduceLROnPlateauArgs): ReduceLROnPlateau => new ReduceLROnPlateau(args);
