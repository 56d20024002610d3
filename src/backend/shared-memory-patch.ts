// Derives a threaded build from a single-threaded one: the two differ only in the memory they import
// (`shared` with a maximum), so the bundle embeds one binary per SIMD flavour and rewrites the memory
// import's limits at load time. scripts/build-wasm.mjs checks that the result is byte-identical to what
// the compiler emits for the `threads` targets, so this cannot drift from the real threaded build.

const IMPORT_SECTION = 2;
const MEMORY_KIND = 2;

function readU32(bytes: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++];
    value |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [value >>> 0, pos];
    shift += 7;
  }
}

function u32(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value & 0x7f;
    value >>>= 7;
    if (value !== 0) b |= 0x80;
    out.push(b);
  } while (value !== 0);
  return out;
}

function skipName(bytes: Uint8Array, pos: number): number {
  const [len, next] = readU32(bytes, pos);
  return next + len;
}

/** The same module with its imported memory declared `shared` with `maximumPages`. */
export function withSharedMemory(wasm: Uint8Array, maximumPages: number): Uint8Array<ArrayBuffer> {
  let pos = 8; // magic + version
  while (pos < wasm.length) {
    const id = wasm[pos];
    const [size, body] = readU32(wasm, pos + 1);
    const end = body + size;
    if (id === IMPORT_SECTION) {
      const [count, first] = readU32(wasm, body);
      let p = first;
      for (let i = 0; i < count; i++) {
        p = skipName(wasm, skipName(wasm, p)); // module name, field name
        const kind = wasm[p++];
        if (kind !== MEMORY_KIND) throw new Error('simdnet: the kernel module imports something other than its memory');
        const flags = wasm[p];
        const [initial, afterInitial] = readU32(wasm, p + 1);
        const limitsEnd = flags & 1 ? readU32(wasm, afterInitial)[1] : afterInitial;
        const limits = [0x03, ...u32(initial), ...u32(maximumPages)];
        const newBody = [...wasm.subarray(body, p), ...limits, ...wasm.subarray(limitsEnd, end)];
        const out = new Uint8Array(wasm.length - (end - pos) + 1 + u32(newBody.length).length + newBody.length);
        out.set(wasm.subarray(0, pos));
        out.set([IMPORT_SECTION, ...u32(newBody.length), ...newBody], pos);
        out.set(wasm.subarray(end), pos + 1 + u32(newBody.length).length + newBody.length);
        return out;
      }
    }
    pos = end;
  }
  throw new Error('simdnet: the kernel module imports no memory');
}
