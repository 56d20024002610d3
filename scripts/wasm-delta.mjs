// Writes the delta that src/backend/wasm-delta.ts applies (its header comment has the format): greedy
// matching of the target against every position of the source that shares its next 8 bytes, preferring
// the longest copy and, among equals, the one nearest the previous copy's end (a one-byte offset step).

const KEY = 8; // bytes hashed to find candidate copies
const MIN_COPY = 12; // a shorter copy costs about as much as the literal bytes
const MAX_CANDIDATES = 64; // enough for wasm, whose repeats are short

function pushVarint(out, n) {
  while (n >= 128) {
    out.push((n % 128) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
}

/** @param {Uint8Array} source @param {Uint8Array} target @returns {Uint8Array} */
export function wasmDelta(source, target) {
  const key = (bytes, i) => Buffer.from(bytes.buffer, bytes.byteOffset + i, KEY).toString('latin1');
  const positions = new Map();
  for (let i = 0; i + KEY <= source.length; i++) {
    const k = key(source, i);
    const list = positions.get(k);
    if (list) list.length < MAX_CANDIDATES && list.push(i);
    else positions.set(k, [i]);
  }
  const out = [];
  let literal = [];
  let sourcePos = 0;
  for (let i = 0; i < target.length; ) {
    let best = 0;
    let bestAt = 0;
    for (const p of i + KEY <= target.length ? positions.get(key(target, i)) ?? [] : []) {
      let l = 0;
      while (i + l < target.length && p + l < source.length && target[i + l] === source[p + l]) l++;
      if (l > best || (l === best && Math.abs(p - sourcePos) < Math.abs(bestAt - sourcePos))) {
        best = l;
        bestAt = p;
      }
    }
    if (best < MIN_COPY) {
      literal.push(target[i++]);
      continue;
    }
    pushVarint(out, literal.length);
    out.push(...literal);
    literal = [];
    const step = bestAt - sourcePos;
    pushVarint(out, step < 0 ? -step * 2 + 1 : step * 2);
    pushVarint(out, best);
    sourcePos = bestAt + best;
    i += best;
  }
  pushVarint(out, literal.length);
  out.push(...literal);
  return Uint8Array.from(out);
}
