// A float64 N-d convolution (1D/2D/3D, strides, per-side padding, dilation, groups) for the kernel tests:
// conv2d, grouped, depthwise (groups = C, F = C·M: Keras's (KH,KW,C,M) depthwise kernel has the same flat
// layout as a grouped (KH,KW,1,C·M) kernel), conv3d, and conv2dTranspose (the same products, read backwards).
// x (N,D,H,W,C), w (KD,KH,KW,C/groups,F), y (N,OD,OH,OW,F).

export interface ConvCase {
  N: number; D: number; H: number; W: number; C: number; F: number;
  KD: number; KH: number; KW: number;
  sd: number; sh: number; sw: number;
  pf: number; pt: number; pl: number;
  pb: number; pbottom: number; pr: number; // padding after (back, bottom, right): only decides the output size
  dd: number; dh: number; dw: number;
  groups: number;
}

/** A 2D case (D = KD = 1) from the usual parameters. */
export function conv2dCase(
  x: [number, number, number, number], k: [number, number], F: number, stride: [number, number] = [1, 1],
  pad: [number, number, number, number] = [0, 0, 0, 0], dilation: [number, number] = [1, 1], groups = 1,
): ConvCase {
  const [N, H, W, C] = x;
  return {
    N, D: 1, H, W, C, F, KD: 1, KH: k[0], KW: k[1], sd: 1, sh: stride[0], sw: stride[1],
    pf: 0, pt: pad[0], pl: pad[2], pb: 0, pbottom: pad[1], pr: pad[3], dd: 1, dh: dilation[0], dw: dilation[1], groups,
  };
}

export function outputSize(c: ConvCase): [number, number, number] {
  const axis = (len: number, k: number, s: number, p: number, d: number) => Math.floor((len + p - d * (k - 1) - 1) / s) + 1;
  return [axis(c.D, c.KD, c.sd, c.pf + c.pb, c.dd), axis(c.H, c.KH, c.sh, c.pt + c.pbottom, c.dh), axis(c.W, c.KW, c.sw, c.pl + c.pr, c.dw)];
}

/** Calls visit(yIndex, xIndex, wIndex) for every product of the convolution. */
export function forEachProduct(c: ConvCase, visit: (yi: number, xi: number, wi: number) => void): void {
  const [OD, OH, OW] = outputSize(c);
  const Cg = c.C / c.groups;
  const Fg = c.F / c.groups;
  for (let n = 0; n < c.N; n++)
    for (let od = 0; od < OD; od++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++)
          for (let kd = 0; kd < c.KD; kd++) {
            const id = od * c.sd - c.pf + kd * c.dd;
            if (id < 0 || id >= c.D) continue;
            for (let kh = 0; kh < c.KH; kh++) {
              const ih = oh * c.sh - c.pt + kh * c.dh;
              if (ih < 0 || ih >= c.H) continue;
              for (let kw = 0; kw < c.KW; kw++) {
                const iw = ow * c.sw - c.pl + kw * c.dw;
                if (iw < 0 || iw >= c.W) continue;
                const tap = (kd * c.KH + kh) * c.KW + kw;
                const yRow = (((n * OD + od) * OH + oh) * OW + ow) * c.F;
                const xRow = (((n * c.D + id) * c.H + ih) * c.W + iw) * c.C;
                for (let ch = 0; ch < c.C; ch++) {
                  const q = Math.floor(ch / Cg);
                  for (let f = q * Fg; f < (q + 1) * Fg; f++) visit(yRow + f, xRow + ch, (tap * Cg + (ch % Cg)) * c.F + f);
                }
              }
            }
          }
}

export function ySize(c: ConvCase): number {
  const [OD, OH, OW] = outputSize(c);
  return c.N * OD * OH * OW * c.F;
}

export function referenceForward(c: ConvCase, x: Float64Array, w: Float64Array, b: Float64Array | null): Float64Array {
  const y = new Float64Array(ySize(c));
  if (b) for (let i = 0; i < y.length; i++) y[i] = b[i % c.F];
  forEachProduct(c, (yi, xi, wi) => (y[yi] += x[xi] * w[wi]));
  return y;
}

export function referenceBackward(c: ConvCase, x: Float64Array, w: Float64Array, dy: Float64Array) {
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  const db = new Float64Array(c.F);
  for (let i = 0; i < dy.length; i++) db[i % c.F] += dy[i];
  forEachProduct(c, (yi, xi, wi) => {
    dx[xi] += dy[yi] * w[wi];
    dw[wi] += dy[yi] * x[xi];
  });
  return { dx, dw, db };
}

/** Throws naming the first element outside abs + rel·|expected|. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rel = 1e-3, abs = 1e-4): void {
  if (actual.length !== expected.length) throw new Error(`${what}: ${actual.length} values, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const tol = abs + rel * Math.abs(expected[i]);
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
      throw new Error(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]} (tolerance ${tol})`);
    }
  }
}
