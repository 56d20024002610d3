// The layer an ONNX import adds around simdnet's own: the layout change at the model's boundary (ONNX
// images are NCHW, simdnet computes in NHWC). Plain loops over the tensors' memory: it runs once per
// image at the boundary, not in the hot path.
import { Layer, Tensor } from '../index.js';
import type { Node } from '../index.js';
import type { Arena } from '../index.js';

/** Moves the channel axis: `toNhwc` (N,C,H,W) → (N,H,W,C), or back. Per-sample shapes only. */
export class ChannelsPermute extends Layer {
  readonly className = 'Permute';

  constructor(readonly toNhwc: boolean, name?: string) {
    super({ name }, 'permute');
  }

  protected computeOutputShape(s: number[]): number[] {
    this.expectRank(s, 3, 'a 3-axis sample (an image)');
    return this.toNhwc ? [s[1], s[2], s[0]] : [s[2], s[0], s[1]];
  }

  /** Copies src (N, C, H, W when `nchwToNhwc`, else N, H, W, C) into dst in the other layout. */
  private static move(src: Tensor, dst: Tensor, nchwToNhwc: boolean): void {
    const [n, a, b, c] = src.shape; // source axes
    const [C, H, W] = nchwToNhwc ? [a, b, c] : [c, a, b];
    const s = src.view();
    const d = dst.view();
    const plane = H * W;
    for (let i = 0; i < n; i++) {
      const base = i * C * plane;
      for (let ch = 0; ch < C; ch++) {
        for (let p = 0; p < plane; p++) {
          if (nchwToNhwc) d[base + p * C + ch] = s[base + ch * plane + p];
          else d[base + ch * plane + p] = s[base + p * C + ch];
        }
      }
    }
  }

  forward(x: Tensor, _node: Node, arena: Arena): Tensor {
    const y = Tensor.empty(this.batchOutputShape(x), arena);
    ChannelsPermute.move(x, y, this.toNhwc);
    return y;
  }

  backward(dy: Tensor, _node: Node, arena: Arena, needDx: boolean): Tensor | null {
    if (!needDx) return null;
    const dx = Tensor.empty([dy.shape[0], ...this.inputShape!], arena);
    ChannelsPermute.move(dy, dx, !this.toNhwc);
    return dx;
  }

  /**
   * Saving calls this first, before anything is written. loadModel has no class for this layer yet (a
   * general Permute layer will take its place), so a saved model could not be read back: refuse instead.
   */
  override getConfig(): Record<string, unknown> {
    throw new Error(
      `simdnet: ${this.name} (the NCHW↔NHWC boundary of a model loaded from ONNX) has no layer class loadModel reads, so save would write a model that cannot be loaded: keep the ONNX file, or export the model with toOnnx`,
    );
  }

  protected layerConfig(): Record<string, unknown> {
    // Keras' Permute numbers the axes from 1 (after the batch axis).
    return { dims: this.toNhwc ? [2, 3, 1] : [3, 1, 2] };
  }
}
