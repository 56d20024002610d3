// onnxruntime-node for the ONNX tests. It is installed under bench/ (for the benchmarks), not as a dependency
// of the package, so the tests that need it skip where bench/node_modules lacks it (`describe.skipIf(!ort)`).
import { createRequire } from 'node:module';
import { join } from 'node:path';

const benchRequire = createRequire(join(__dirname, '../../bench/package.json'));

function load(): any {
  try {
    return benchRequire('onnxruntime-node');
  } catch {
    return null;
  }
}

/** The onnxruntime-node module, or null where it is not installed. */
export const ort: any = load();

/** Its entry file, for code that imports it by path (the README examples), or null. */
export const ortPath: string | null = ort ? benchRequire.resolve('onnxruntime-node') : null;

/** Runs an ONNX model file in ONNX Runtime; each feed is [data, dims]. Returns the outputs in the graph's order. */
export async function runOrt(bytes: Uint8Array, feeds: Record<string, [Float32Array, number[]]>): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(bytes);
  const input: Record<string, unknown> = {};
  for (const [k, [data, dims]] of Object.entries(feeds)) input[k] = new ort.Tensor('float32', data, dims);
  const out = await session.run(input);
  return session.outputNames.map((n: string) => out[n].data as Float32Array);
}
