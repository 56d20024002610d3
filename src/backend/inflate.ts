// Inflates the embedded kernel builds (zlib format: deflate with a 2-byte header and an Adler-32 trailer).
//
// DecompressionStream('deflate') is the zlib format, and every runtime that has DecompressionStream has it
// (Node ≥ 18, Chrome 80, Firefox 113, Safari 16.4). 'deflate-raw' would save 6 bytes per build but arrived
// later (Node 20.12, Chrome 103): Node 20.0–20.11 threw on it. Where DecompressionStream is missing or
// refuses the format, fflate's inflater (bundled, a few KiB minified) does the same work in JS.
import { unzlibSync } from 'fflate';

export async function inflateZlib(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  let stream: ReadableStream<Uint8Array> | null = null;
  try {
    stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
  } catch {
    stream = null; // no DecompressionStream, or no 'deflate' in it
  }
  if (stream) return new Uint8Array(await new Response(stream).arrayBuffer());
  return unzlibSync(bytes) as Uint8Array<ArrayBuffer>;
}
