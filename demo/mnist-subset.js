// Reads the demo's MNIST subset file (written by scripts/make-mnist-subset.mjs): a 16-byte header
// ('SNMN', u32 train count, u32 test count, u8 rows, u8 cols, u16 version) then uint8 images and labels.

export function parseSubset(buffer) {
  const view = new DataView(buffer);
  const magic = String.fromCharCode(...new Uint8Array(buffer, 0, 4));
  if (magic !== 'SNMN') throw new Error(`mnist subset: bad magic '${magic}' (expected 'SNMN')`);
  const trainCount = view.getUint32(4, true);
  const testCount = view.getUint32(8, true);
  const rows = view.getUint8(12);
  const cols = view.getUint8(13);
  const px = rows * cols;
  const expected = 16 + (trainCount + testCount) * (px + 1);
  if (buffer.byteLength !== expected) {
    throw new Error(`mnist subset: file has ${buffer.byteLength} bytes, header says ${expected}`);
  }
  let at = 16;
  const take = (n) => new Uint8Array(buffer, (at += n) - n, n);
  const trainImages = take(trainCount * px);
  const trainLabels = take(trainCount);
  const testImages = take(testCount * px);
  const testLabels = take(testCount);
  return { rows, cols, trainCount, testCount, trainImages, trainLabels, testImages, testLabels };
}

/** The first `count` images as float32 in [0, 1] (NHWC, one channel) and their labels as float32. */
export function toFloat(images, labels, count, px) {
  const x = new Float32Array(count * px);
  for (let i = 0; i < x.length; i++) x[i] = images[i] / 255;
  const y = new Float32Array(count);
  for (let i = 0; i < count; i++) y[i] = labels[i];
  return { x, y };
}
