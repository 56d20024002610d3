// The one seeded random source: Glorot initialisation, shuffling and dropout seeds all draw from it, so
// `sn.setSeed(n)` makes a whole run reproducible. mulberry32: tiny, fast, and good enough for ML noise.

let state = (Date.now() ^ 0x9e3779b9) >>> 0;

/** Makes every later initialisation, shuffle and dropout mask reproducible. */
export function setSeed(seed: number): void {
  if (!Number.isFinite(seed)) throw new Error(`simdnet: setSeed expects a finite number, got ${seed}`);
  state = Math.floor(seed) >>> 0;
}

// mulberry32's output for a state.
function mix(t: number): number {
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** A uniform number in [0, 1). */
export function random(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  return mix(state);
}

/** A stream of its own (a layer's `seed`, as Keras): the same generator, independent of setSeed. */
export function seededRandom(seed: number): () => number {
  let own = Math.floor(seed) >>> 0;
  return () => mix((own = (own + 0x6d2b79f5) >>> 0));
}

/** A uniform number in [low, high). */
export function uniform(low: number, high: number): number {
  return low + (high - low) * random();
}

/** A 32-bit seed for a kernel that makes its own random stream (dropout masks). */
export function randomSeed(): number {
  return Math.floor(random() * 4294967296) >>> 0;
}

/** Shuffles `indices` in place (Fisher–Yates). */
export function shuffleInPlace(indices: Int32Array | number[]): void {
  for (let i = indices.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = indices[i];
    indices[i] = indices[j];
    indices[j] = t;
  }
}
