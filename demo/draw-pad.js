// The drawing pad: pointer events (mouse, pen, touch), strokes kept as points in [0,1] coordinates and
// drawn twice: on the visible canvas at the screen's resolution, and on a fixed 280x280 ink canvas that
// the preprocessing reads, so a digit gives the same input on a phone and on a 4K screen.

export const INK_SIZE = 280;
// Stroke width as a fraction of the pad: a digit drawn across most of the pad then has MNIST's stroke
// width (about 2-3 pixels of its 20-pixel box).
const STROKE = 0.075;

export class DrawPad {
  constructor(canvas, { onChange = () => {}, onStrokeEnd = () => {} } = {}) {
    this.canvas = canvas;
    this.onChange = onChange;
    this.onStrokeEnd = onStrokeEnd;
    this.strokes = [];
    this.active = null;
    this.ink = document.createElement('canvas');
    this.ink.width = INK_SIZE;
    this.ink.height = INK_SIZE;
    this.inkCtx = this.ink.getContext('2d', { willReadFrequently: true });

    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    for (const type of ['pointerup', 'pointercancel', 'lostpointercapture']) canvas.addEventListener(type, (e) => this.up(e));
    new ResizeObserver(() => this.redraw()).observe(canvas);
  }

  get isEmpty() {
    return this.strokes.length === 0;
  }

  clear() {
    this.strokes = [];
    this.active = null;
    this.redraw();
    this.onChange();
  }

  /** The ink as one alpha value per pixel of the 280x280 ink canvas (0 none, 255 full). */
  inkAlpha() {
    const rgba = this.inkCtx.getImageData(0, 0, INK_SIZE, INK_SIZE).data;
    const alpha = new Uint8ClampedArray(INK_SIZE * INK_SIZE);
    for (let i = 0; i < alpha.length; i++) alpha[i] = rgba[i * 4 + 3];
    return alpha;
  }

  point(e) {
    const r = this.canvas.getBoundingClientRect();
    return [(e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height];
  }

  down(e) {
    if (e.button !== undefined && e.button > 0) return;
    e.preventDefault();
    this.canvas.setPointerCapture?.(e.pointerId);
    this.active = { id: e.pointerId, points: [this.point(e)] };
    this.strokes.push(this.active.points);
    this.paintSegment(this.active.points, 0);
    this.onChange();
  }

  move(e) {
    if (!this.active || e.pointerId !== this.active.id) return;
    e.preventDefault();
    const events = e.getCoalescedEvents?.() ?? [];
    const pts = this.active.points;
    const from = pts.length - 1;
    for (const ev of events.length ? events : [e]) pts.push(this.point(ev));
    this.paintSegment(pts, from);
    this.onChange();
  }

  up(e) {
    if (!this.active || e.pointerId !== this.active.id) return;
    this.active = null;
    this.onStrokeEnd();
  }

  /** Draws the part of a stroke from point index `from` on both canvases. */
  paintSegment(points, from) {
    this.strokeOn(this.inkCtx, INK_SIZE, points, from);
    this.fitCanvas();
    this.strokeOn(this.canvas.getContext('2d'), this.canvas.width, points, from);
  }

  strokeOn(ctx, size, points, from) {
    ctx.strokeStyle = '#fff';
    ctx.fillStyle = '#fff';
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.lineWidth = STROKE * size;
    if (points.length === 1) {
      ctx.beginPath();
      ctx.arc(points[0][0] * size, points[0][1] * size, (STROKE * size) / 2, 0, Math.PI * 2);
      ctx.fill();
      return;
    }
    ctx.beginPath();
    const start = Math.max(0, from);
    ctx.moveTo(points[start][0] * size, points[start][1] * size);
    for (let i = start + 1; i < points.length; i++) ctx.lineTo(points[i][0] * size, points[i][1] * size);
    ctx.stroke();
  }

  fitCanvas() {
    const dpr = window.devicePixelRatio || 1;
    const size = Math.max(1, Math.round(this.canvas.clientWidth * dpr));
    if (this.canvas.width !== size || this.canvas.height !== size) {
      this.canvas.width = size;
      this.canvas.height = size;
      this.redrawVisible();
    }
  }

  redrawVisible() {
    const ctx = this.canvas.getContext('2d');
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    for (const s of this.strokes) this.strokeOn(ctx, this.canvas.width, s, 0);
  }

  redraw() {
    this.inkCtx.clearRect(0, 0, INK_SIZE, INK_SIZE);
    for (const s of this.strokes) this.strokeOn(this.inkCtx, INK_SIZE, s, 0);
    this.fitCanvas();
    this.redrawVisible();
  }
}
