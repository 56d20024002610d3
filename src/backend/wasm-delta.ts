// The relaxed-SIMD build is embedded as a delta against the plain-SIMD build: the two are compiled from the
// same source and differ only where a kernel picks a relaxed instruction (a few hundred short runs), so the
// delta deflates to ~1.5 KB where the whole second binary took ~21 KB (a tenth of the bundle).
//
// A delta is a sequence of  [literal length, literal bytes, source offset step, copy length]  records and
// ends with one last literal run. Lengths are unsigned LEB128; the source offset step is a zigzag LEB128
// relative to where the previous copy ended, so copies that move forward with the target stay one byte.
// scripts/wasm-delta.mjs writes it, and the build checks that applyWasmDelta gives back the relaxed
// build byte for byte.

function readVarint(bytes: Uint8Array, at: { pos: number }): number {
  let value = 0;
  let scale = 1;
  for (;;) {
    const b = bytes[at.pos++];
    if (b === undefined) throw new Error('simdnet: the embedded wasm delta is truncated');
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return value;
    scale *= 128;
  }
}

/** Rebuilds a binary from the one it was diffed against (`source`) and the delta. */
export function applyWasmDelta(source: Uint8Array, delta: Uint8Array): Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = [];
  let length = 0;
  const at = { pos: 0 };
  let sourcePos = 0;
  for (;;) {
    const literal = readVarint(delta, at);
    parts.push(delta.subarray(at.pos, at.pos + literal));
    at.pos += literal;
    length += literal;
    if (at.pos >= delta.length) break;
    const step = readVarint(delta, at);
    sourcePos += step % 2 === 1 ? -(step - 1) / 2 : step / 2;
    const copy = readVarint(delta, at);
    if (sourcePos < 0 || sourcePos + copy > source.length) throw new Error('simdnet: the embedded wasm delta does not fit its source build');
    parts.push(source.subarray(sourcePos, sourcePos + copy));
    sourcePos += copy;
    length += copy;
  }
  const out = new Uint8Array(length);
  let pos = 0;
  for (const part of parts) {
    out.set(part, pos);
    pos += part.length;
  }
  return out;
}
