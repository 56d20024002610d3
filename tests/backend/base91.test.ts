// The embedded wasm's text encoding (src/backend/base91.ts): every byte string comes back, the text is shorter
// than base64's, and it holds no character that a JS string literal or an inline <script> would trip on.
import { describe, it, expect } from 'vitest';
import { encodeBase91, decodeBase91 } from '../../src/backend/base91.js';
import { rng } from '../helpers/random.js';

describe('basE91', () => {
  it('decodes what it encodes: empty, short, every byte value, runs of 0 and 255, random lengths', () => {
    const r = rng(91);
    const cases: Uint8Array[] = [new Uint8Array(0), Uint8Array.of(0), Uint8Array.of(255), Uint8Array.of(0, 0), Uint8Array.of(255, 255, 255),
      Uint8Array.from({ length: 256 }, (_, i) => i), new Uint8Array(1000), new Uint8Array(1000).fill(255)];
    for (let n = 1; n < 40; n++) cases.push(Uint8Array.from({ length: n }, () => Math.floor(r() * 256)));
    cases.push(Uint8Array.from({ length: 50_000 }, () => Math.floor(r() * 256)));
    for (const bytes of cases) expect(Array.from(decodeBase91(encodeBase91(bytes))), `${bytes.length} bytes`).toEqual(Array.from(bytes));
  });

  it('is 8 % shorter than base64 on random bytes, and uses no quote, backslash or <', () => {
    const r = rng(7);
    const bytes = Uint8Array.from({ length: 30_000 }, () => Math.floor(r() * 256));
    const text = encodeBase91(bytes);
    expect(text.length).toBeLessThan(0.93 * Buffer.from(bytes).toString('base64').length);
    expect(/['"\\<]/.test(text)).toBe(false);
    expect(new Set(text).size).toBe(91);
  });
});
