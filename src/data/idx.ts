// The IDX file format of the MNIST distribution (http://yann.lecun.com/exdb/mnist/):
//   bytes 0-1  0x00 0x00
//   byte  2    element type: 0x08 ubyte, 0x09 sbyte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
//   byte  3    number of dimensions d
//   then d big-endian uint32 sizes, then the elements in row-major order, big-endian.
// It runs anywhere (no Node modules): a browser can fetch the files and parse them here.
import { describeValue } from '../describe.js';

export type IdxType = 'ubyte' | 'sbyte' | 'int16' | 'int32' | 'float32' | 'float64';
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxFile<D extends IdxData = IdxData> {
  /** Sizes from the header, outermost first: `[60000, 28, 28]` for the MNIST training images. */
  dims: number[];
  type: IdxType;
  /** The elements in row-major order. A ubyte file gives a view of the input bytes (no copy). */
  data: D;
}

interface TypeInfo {
  type: IdxType;
  bytes: number;
}

const TYPES: Record<number, TypeInfo> = {
  0x08: { type: 'ubyte', bytes: 1 },
  0x09: { type: 'sbyte', bytes: 1 },
  0x0b: { type: 'int16', bytes: 2 },
  0x0c: { type: 'int32', bytes: 4 },
  0x0d: { type: 'float32', bytes: 4 },
  0x0e: { type: 'float64', bytes: 8 },
};

const HEADER_HINT = 'an IDX file starts with 0x00 0x00, a type byte (0x08 ubyte … 0x0E float64) and the number of dimensions, e.g. 00 00 08 03 for MNIST images';

/**
 * Parses an IDX file. `name` (a file name or URL) is only used in error messages. Throws an Error naming
 * the file and what was expected when the magic number is foreign or the file is truncated or too long.
 */
export function parseIdx(bytes: Uint8Array, name = 'IDX data'): IdxFile {
  const label = typeof name === 'string' && name.length <= 200 ? name : describeValue(name);
  const fail = (what: string): never => {
    throw new Error(`simdnet: parseIdx(${label}): ${what}`);
  };
  if (!(bytes instanceof Uint8Array)) fail(`expected the file's bytes as a Uint8Array, got ${describeValue(bytes)}`);
  if (bytes.length < 4) fail(`file is ${bytes.length} bytes, too short for the 4-byte IDX magic number (${HEADER_HINT})`);
  const magic = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  const hex = `0x${magic.toString(16).padStart(8, '0')}`;
  if (bytes[0] !== 0 || bytes[1] !== 0) fail(`not an IDX file: magic number ${hex} does not start with two zero bytes (${HEADER_HINT})`);
  const info = TYPES[bytes[2]];
  if (!info) fail(`not an IDX file: magic number ${hex} has type byte 0x${bytes[2].toString(16).padStart(2, '0')}, expected 0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E (${HEADER_HINT})`);
  const rank = bytes[3];
  if (rank === 0) fail(`magic number ${hex} declares 0 dimensions, expected at least 1`);

  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    fail(`truncated header: ${rank} dimensions need a ${headerBytes}-byte header but the file has only ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));

  let count = 1;
  for (const d of dims) count *= d;
  const dataBytes = count * info.bytes;
  const expected = headerBytes + dataBytes;
  if (bytes.length !== expected) {
    const shape = `[${dims.join(', ')}] ${info.type}`;
    const detail = `${fmt(dataBytes)} data bytes after the ${headerBytes}-byte header (${fmt(expected)} bytes in all) but the file has ${fmt(bytes.length)} bytes`;
    fail(bytes.length < expected ? `truncated: dimensions ${shape} need ${detail}` : `too long: dimensions ${shape} need ${detail}; is it an IDX file?`);
  }

  return { dims, type: info.type, data: readElements(bytes, view, headerBytes, count, info) };
}

function readElements(bytes: Uint8Array, view: DataView, start: number, count: number, info: TypeInfo): IdxData {
  switch (info.type) {
    case 'ubyte':
      return bytes.subarray(start, start + count);
    case 'sbyte':
      return new Int8Array(bytes.buffer, bytes.byteOffset + start, count);
    default: {
      // Multi-byte elements are big-endian and may be unaligned: read them through the DataView.
      const out =
        info.type === 'int16' ? new Int16Array(count)
        : info.type === 'int32' ? new Int32Array(count)
        : info.type === 'float32' ? new Float32Array(count)
        : new Float64Array(count);
      const read =
        info.type === 'int16' ? (o: number) => view.getInt16(o, false)
        : info.type === 'int32' ? (o: number) => view.getInt32(o, false)
        : info.type === 'float32' ? (o: number) => view.getFloat32(o, false)
        : (o: number) => view.getFloat64(o, false);
      for (let i = 0, o = start; i < count; i++, o += info.bytes) out[i] = read(o);
      return out;
    }
  }
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
