// How error messages speak of a value a user passed: by its type and shape, never by its contents.
// (`String(x)` of a 60,000-image Float32Array is a 94-million-character message.)

const MAX_TEXT = 80;

/** A short description of any value: `Float32Array(784)`, `Tensor [2,3]`, `array(3)`, `'hello'`, `null`. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  switch (typeof v) {
    case 'string':
      return v.length > MAX_TEXT ? `'${v.slice(0, MAX_TEXT)}…' (${v.length} characters)` : `'${v}'`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(v);
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
  }
  if (ArrayBuffer.isView(v)) {
    const name = Object.getPrototypeOf(v)?.constructor?.name ?? 'typed array';
    return `${name}(${(v as unknown as ArrayLike<unknown>).length ?? v.byteLength})`;
  }
  if (v instanceof ArrayBuffer) return `ArrayBuffer(${v.byteLength} bytes)`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  const shape = (v as { shape?: unknown }).shape;
  const ctor = (Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null)?.constructor?.name;
  if (Array.isArray(shape) && shape.length < 16 && shape.every((d) => typeof d === 'number')) return `${ctor ?? 'object'} [${shape.join(',')}]`;
  if (ctor && ctor !== 'Object') return `a ${ctor}`;
  const keys = Object.keys(v as object);
  return keys.length ? `an object with keys ${keys.slice(0, 6).join(', ')}${keys.length > 6 ? ', …' : ''}` : 'an empty object';
}
