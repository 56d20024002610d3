// Per-epoch progress: a cli-progress bar on a terminal; on a pipe or log file, a plain line every tenth
// of the epoch (a bar's carriage returns make unreadable logs). Shows images/s and running loss/accuracy.
import cliProgress from 'cli-progress';

export class EpochProgress {
  constructor({ epochs, samples, stream = process.stdout }) {
    this.epochs = epochs;
    this.samples = samples;
    this.stream = stream;
    this.tty = Boolean(stream.isTTY);
  }

  start(epoch) {
    this.epoch = epoch;
    this.seen = 0;
    this.lossSum = 0;
    this.accSum = 0;
    this.accCount = 0;
    this.started = performance.now();
    this.nextLine = 0.1;
    const label = `epoch ${String(epoch + 1).padStart(String(this.epochs).length)}/${this.epochs}`;
    this.label = label;
    if (this.tty) {
      this.bar = new cliProgress.SingleBar(
        {
          format: `${label} {bar} {percentage}% | {value}/{total} | {rate} img/s | loss {loss} | acc {acc} | ETA {eta_formatted}`,
          barCompleteChar: '█',
          barIncompleteChar: '░',
          barsize: 24,
          hideCursor: true,
          clearOnComplete: true,
          stream: this.stream,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(this.samples, 0, this.payload());
    }
  }

  /** After each batch: `size` samples with mean loss `loss` and accuracy `acc` (a fraction, may be missing). */
  batch(size, loss, acc) {
    this.seen += size;
    this.lossSum += loss * size;
    if (Number.isFinite(acc)) {
      this.accSum += acc * size;
      this.accCount += size;
    }
    if (this.tty) this.bar.update(this.seen, this.payload());
    else if (this.seen >= this.nextLine * this.samples && this.seen < this.samples) {
      this.nextLine += 0.1;
      const p = this.payload();
      this.stream.write(`${this.label} ${String(Math.round((100 * this.seen) / this.samples)).padStart(3)}% | ${p.rate} img/s | loss ${p.loss} | acc ${p.acc}\n`);
    }
  }

  /** Ends the epoch's bar and returns the epoch's running figures and its images/s. */
  stop() {
    const p = this.payload();
    if (this.tty) {
      this.bar.update(this.seen, p);
      this.bar.stop();
    }
    return { seconds: (performance.now() - this.started) / 1000, imagesPerSecond: Number(p.rate.replace(/,/g, '')) };
  }

  payload() {
    const seconds = (performance.now() - this.started) / 1000;
    const rate = seconds > 0 ? Math.round(this.seen / seconds) : 0;
    return {
      rate: rate.toLocaleString('en-US'),
      loss: this.seen ? (this.lossSum / this.seen).toFixed(4) : '-',
      acc: this.accCount ? `${((100 * this.accSum) / this.accCount).toFixed(2)}%` : '-',
    };
  }
}

const BLOCKS = '▁▂▃▄▅▆▇█';

/** A one-line sparkline of `values` (min to max mapped onto eight block heights). */
export function sparkline(values) {
  const finite = values.filter(Number.isFinite);
  if (!finite.length) return '';
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  return values
    .map((v) => (Number.isFinite(v) ? BLOCKS[hi > lo ? Math.round(((v - lo) / (hi - lo)) * (BLOCKS.length - 1)) : 3] : ' '))
    .join('');
}
