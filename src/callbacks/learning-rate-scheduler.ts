// LearningRateScheduler (Keras): at the start of each epoch, optimizer.learningRate = schedule(epoch, lr),
// lr being the current rate; the rate used is logged as `learning_rate` (Keras 3's name) at the epoch's end.
// For a rate that changes every step, give the optimizer a schedule instead (sn.optimizers.schedules).
import type { Logs } from '../model/fit.js';
import { Callback } from './callback.js';
import { describeValue } from '../describe.js';

export type ScheduleFn = (epoch: number, learningRate: number) => number | Promise<number>;

const WHO = 'learningRateScheduler';

export class LearningRateScheduler extends Callback {
  readonly schedule: ScheduleFn;

  constructor(schedule: ScheduleFn) {
    super();
    if (typeof schedule !== 'function') throw new Error(`simdnet: ${WHO}: expects a function (epoch, learningRate) => learningRate, got ${describeValue(schedule)}`);
    this.schedule = schedule;
  }

  async onEpochBegin(epoch: number): Promise<void> {
    const optimizer = this.fitted(WHO).optimizer!;
    const rate = await this.schedule(epoch, optimizer.learningRate);
    if (typeof rate !== 'number' || !(rate > 0) || !Number.isFinite(rate)) {
      throw new Error(`simdnet: ${WHO}: the schedule returned ${describeValue(rate)} for epoch ${epoch}; it must return a finite number > 0`);
    }
    optimizer.learningRate = rate;
  }

  onEpochEnd(_epoch: number, logs: Logs): void {
    logs.learning_rate = this.fitted(WHO).optimizer!.learningRate;
  }
}

export const learningRateScheduler = (schedule: ScheduleFn): LearningRateScheduler => new LearningRateScheduler(schedule);
