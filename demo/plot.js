// A live training chart on a canvas: loss (left axis, auto-scaled) and accuracy (right axis, 0-100 %)
// per batch, smoothed, with validation points per epoch. Small enough not to need a plotting library.

const COLOURS = { loss: '#6366f1', acc: '#10b981', grid: '#e5e7eb', text: '#6b7280' };

export class TrainingPlot {
  constructor(canvas) {
    this.canvas = canvas;
    this.reset(1);
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  /** Clears the chart for a run of `totalSteps` batches. */
  reset(totalSteps) {
    this.totalSteps = Math.max(1, totalSteps);
    this.points = []; // { step, loss, acc } smoothed
    this.epochs = []; // { step, valLoss, valAcc }
    this.draw();
  }

  addBatch(step, loss, acc) {
    const prev = this.points[this.points.length - 1];
    const k = 0.15; // exponential smoothing: batch losses are noisy
    const sLoss = prev ? prev.loss + k * (loss - prev.loss) : loss;
    const sAcc = acc == null ? null : prev?.acc != null ? prev.acc + k * (acc - prev.acc) : acc;
    this.points.push({ step, loss: sLoss, acc: sAcc });
    this.scheduleDraw();
  }

  addEpoch(step, valLoss, valAcc) {
    this.epochs.push({ step, valLoss, valAcc });
    this.scheduleDraw();
  }

  scheduleDraw() {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = 0;
      this.draw();
    });
  }

  draw() {
    const canvas = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const cssW = canvas.clientWidth || 300;
    const cssH = canvas.clientHeight || 160;
    if (canvas.width !== Math.round(cssW * dpr) || canvas.height !== Math.round(cssH * dpr)) {
      canvas.width = Math.round(cssW * dpr);
      canvas.height = Math.round(cssH * dpr);
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssW, cssH);
    const pad = { l: 40, r: 40, t: 12, b: 22 };
    const w = cssW - pad.l - pad.r;
    const h = cssH - pad.t - pad.b;
    const maxLoss = Math.max(0.5, ...this.points.map((p) => p.loss), ...this.epochs.map((e) => e.valLoss ?? 0));
    const x = (step) => pad.l + (step / this.totalSteps) * w;
    const yLoss = (v) => pad.t + h - (v / maxLoss) * h;
    const yAcc = (v) => pad.t + h - v * h;

    ctx.font = '11px system-ui, sans-serif';
    ctx.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = pad.t + (h * i) / 4;
      ctx.strokeStyle = COLOURS.grid;
      ctx.beginPath();
      ctx.moveTo(pad.l, y);
      ctx.lineTo(pad.l + w, y);
      ctx.stroke();
      ctx.fillStyle = COLOURS.loss;
      ctx.textAlign = 'right';
      ctx.fillText((maxLoss * (1 - i / 4)).toFixed(2), pad.l - 6, y + 4);
      ctx.fillStyle = COLOURS.acc;
      ctx.textAlign = 'left';
      ctx.fillText(`${100 - i * 25}%`, pad.l + w + 6, y + 4);
    }
    ctx.fillStyle = COLOURS.text;
    ctx.textAlign = 'center';
    ctx.fillText('batches', pad.l + w / 2, cssH - 6);

    if (this.points.length === 0) {
      ctx.fillStyle = COLOURS.text;
      ctx.font = '13px system-ui, sans-serif';
      ctx.fillText(w > 360 ? 'loss and accuracy appear here as the network learns' : 'learning curves appear here', pad.l + w / 2, pad.t + h / 2);
    }

    const line = (key, y, colour) => {
      const pts = this.points.filter((p) => p[key] != null);
      if (pts.length < 2) return;
      ctx.strokeStyle = colour;
      ctx.lineWidth = 2;
      ctx.lineJoin = 'round';
      ctx.beginPath();
      pts.forEach((p, i) => (i ? ctx.lineTo(x(p.step), y(p[key])) : ctx.moveTo(x(p.step), y(p[key]))));
      ctx.stroke();
    };
    line('loss', yLoss, COLOURS.loss);
    line('acc', yAcc, COLOURS.acc);
    for (const e of this.epochs) {
      for (const [v, y, c] of [[e.valLoss, yLoss, COLOURS.loss], [e.valAcc, yAcc, COLOURS.acc]]) {
        if (v == null) continue;
        ctx.fillStyle = '#fff';
        ctx.strokeStyle = c;
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.arc(x(e.step), y(v), 4, 0, Math.PI * 2);
        ctx.fill();
        ctx.stroke();
      }
    }
  }
}
