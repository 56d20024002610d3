// The embedded builds must inflate where DecompressionStream lacks 'deflate-raw' (Node 20.0–20.11, older
// browsers) and where there is no DecompressionStream at all (issue 10 item 12, issue 15).
import { describe, it, expect, afterEach, vi } from 'vitest';
import { deflateSync } from 'node:zlib';

const Native = globalThis.DecompressionStream;

afterEach(() => {
  globalThis.DecompressionStream = Native;
  vi.resetModules();
});

async function readyAndCompute(): Promise<void> {
  const sn = await import('../../src/index.js');
  const info = await sn.ready({ simd: 'plain' });
  expect(info.build).toBe('simd');
  const x = sn.tensor([-1, 2, -3, 4], [4]);
  const y = sn.Tensor.empty([4]);
  sn.ops.activationForward(x, y, 1);
  expect(Array.from(y.dataSync())).toEqual([0, 2, 0, 4]);
  sn.dispose();
}

describe('inflating the embedded wasm', () => {
  it("works when DecompressionStream has no 'deflate-raw' (Node 20.0-20.11)", async () => {
    const formats: string[] = [];
    globalThis.DecompressionStream = class extends Native {
      constructor(format: CompressionFormat) {
        formats.push(format);
        if (format === 'deflate-raw') throw new TypeError("Failed to construct 'DecompressionStream': Unsupported compression format: 'deflate-raw'");
        super(format);
      }
    };
    await readyAndCompute();
    expect(formats.length).toBeGreaterThan(0);
    expect(formats.every((f) => f === 'deflate')).toBe(true);
  });

  it('works without DecompressionStream at all (bundled inflater)', async () => {
    // @ts-expect-error: the global is removed on purpose
    delete globalThis.DecompressionStream;
    await readyAndCompute();
  });

  it('the bundled inflater gives back exactly what zlib deflated', async () => {
    // @ts-expect-error: the global is removed on purpose
    delete globalThis.DecompressionStream;
    const { inflateZlib } = await import('../../src/backend/inflate.js');
    const data = new Uint8Array(200_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251 < 40 ? i & 0xff : 0;
    const packed = new Uint8Array(deflateSync(data, { level: 9 }));
    expect(await inflateZlib(packed)).toEqual(data);
  });
});
