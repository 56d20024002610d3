// The embedded wasm builds as text: basE91 (Henke's scheme: 13 or 14 bits per two characters), 8 % shorter
// than base64 — 3.6 kB of the bundle. The alphabet is printable ASCII without ' " \ and <, so the text needs
// no escape in any JS string literal and never forms a closing </script> tag when a page inlines the bundle.
// The encoder runs in scripts/build-wasm.mjs, which checks that the decoder gives the bytes back.
const ALPHABET = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).filter((c) => !`'"\\<`.includes(c)).join('');

export function encodeBase91(bytes: Uint8Array): string {
  let out = '';
  let queue = 0;
  let bits = 0;
  for (const byte of bytes) {
    queue |= byte << bits;
    bits += 8;
    if (bits > 13) {
      // 13 bits when their value leaves room for the 14-bit range's top (> 88), else 14.
      let v = queue & 8191;
      if (v > 88) {
        queue >>= 13;
        bits -= 13;
      } else {
        v = queue & 16383;
        queue >>= 14;
        bits -= 14;
      }
      out += ALPHABET[v % 91] + ALPHABET[(v / 91) | 0];
    }
  }
  if (bits > 0) {
    out += ALPHABET[queue % 91];
    if (bits > 7 || queue > 90) out += ALPHABET[(queue / 91) | 0];
  }
  return out;
}

export function decodeBase91(text: string): Uint8Array<ArrayBuffer> {
  const value = new Uint8Array(128);
  for (let i = 0; i < 91; i++) value[ALPHABET.charCodeAt(i)] = i;
  const out = new Uint8Array(Math.ceil((text.length * 14) / 16));
  let n = 0;
  let queue = 0;
  let bits = 0;
  let pending = -1;
  for (let i = 0; i < text.length; i++) {
    const c = value[text.charCodeAt(i)];
    if (pending < 0) {
      pending = c;
      continue;
    }
    const v = pending + c * 91;
    pending = -1;
    queue |= v << bits;
    bits += (v & 8191) > 88 ? 13 : 14;
    do {
      out[n++] = queue & 255;
      queue >>= 8;
      bits -= 8;
    } while (bits > 7);
  }
  if (pending >= 0) out[n++] = (queue | (pending << bits)) & 255;
  return out.slice(0, n);
}
