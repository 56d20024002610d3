// The base of `sn.callbacks.*`: an object of fit hooks (onEpochEnd, …) that fit hands the model to first
// (`setModel`, as TF.js's BaseCallback), plus what the monitoring callbacks share: reading a monitored
// log and deciding, as Keras does, whether a bigger or a smaller value is better.
import type { Model } from '../model/model.js';
import type { Logs } from '../model/fit.js';
import { describeValue } from '../describe.js';

export abstract class Callback {
  /** The model being fitted; set by fit before onTrainBegin. */
  model: Model | null = null;

  setModel(model: Model): void {
    this.model = model;
  }

  /** The model, or an error naming the callback when it is used outside fit. */
  protected fitted(who: string): Model {
    if (!this.model) throw new Error(`simdnet: ${who}: not attached to a model; pass it to model.fit({ callbacks: [...] })`);
    return this.model;
  }
}

export type Mode = 'auto' | 'min' | 'max';

/** Keras's 'auto': accuracy-like logs are better when larger, everything else (losses) when smaller. */
export function resolveMode(mode: unknown, monitor: string, who: string): 'min' | 'max' {
  if (mode !== 'auto' && mode !== 'min' && mode !== 'max') throw new Error(`simdnet: ${who}: mode must be 'auto', 'min' or 'max', got ${describeValue(mode)}`);
  if (mode !== 'auto') return mode;
  return monitor.includes('acc') || monitor.endsWith('auc') ? 'max' : 'min';
}

/** An options object (or undefined), checked. */
export function callbackArgs<T extends object>(args: T | undefined, who: string): Partial<T> {
  if (args === undefined) return {};
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    throw new Error(`simdnet: ${who}: expects an options object, got ${describeValue(args)}`);
  }
  return args;
}

export function checkMonitor(monitor: unknown, who: string): string {
  if (typeof monitor !== 'string' || monitor === '') throw new Error(`simdnet: ${who}: monitor must be a log name such as 'val_loss', got ${describeValue(monitor)}`);
  return monitor;
}

export function checkNumber(v: unknown, name: string, who: string, min: number, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
    throw new Error(`simdnet: ${who}: ${name} must be a${integer ? 'n integer' : ' finite number'} ≥ ${min}, got ${describeValue(v)}`);
  }
  return v;
}

/**
 * The monitored value of an epoch's logs, or undefined after one warning per fit (Keras warns and skips
 * the epoch: a typo in `monitor` must not stop training silently or crash it).
 */
export function monitored(logs: Logs | undefined, monitor: string, who: string, warned: { done: boolean }): number | undefined {
  const v = logs?.[monitor];
  if (typeof v === 'number') return v;
  if (!warned.done) {
    warned.done = true;
    console.warn(`simdnet: ${who}: the logs have no '${monitor}' (they have: ${Object.keys(logs ?? {}).join(', ') || 'nothing'}); this callback does nothing`);
  }
  return undefined;
}
