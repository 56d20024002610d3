// The one check every optimizer and schedule hyper-parameter goes through.
import { describeValue } from '../describe.js';

/**
 * Checks a hyper-parameter when it is set, so a NaN or out-of-range value fails here, by name, instead of
 * turning every weight into NaN at the first step.
 */
export function checkHyperParameter(
  who: string,
  name: string,
  value: unknown,
  range: { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean },
): number {
  const { min = -Infinity, max = Infinity, minExclusive = false, maxExclusive = false } = range;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (minExclusive ? value > min : value >= min) &&
    (maxExclusive ? value < max : value <= max);
  if (!ok) {
    const lo = Number.isFinite(min) ? `${minExclusive ? '>' : '≥'} ${min}` : '';
    const hi = Number.isFinite(max) ? `${maxExclusive ? '<' : '≤'} ${max}` : '';
    const want = [lo, hi].filter(Boolean).join(' and ');
    throw new Error(`simdnet: ${who}: ${name} must be a finite number${want ? ' ' + want : ''}, got ${describeValue(value)}`);
  }
  return value as number;
}
