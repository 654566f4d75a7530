/** A progress line for long jobs: done/total, rate and ETA. Redraws in place on a TTY. */
export class Progress {
  private readonly started = Date.now();
  private lastPrint = 0;
  private done = 0;

  constructor(
    private readonly total: number,
    private readonly label: string,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly quiet = false,
  ) {}

  tick(n = 1): void {
    this.done += n;
    const now = Date.now();
    if (this.quiet) return;
    if (this.out.isTTY || now - this.lastPrint > 5000 || this.done === this.total) {
      this.lastPrint = now;
      this.out.write((this.out.isTTY ? "\r" : "") + this.line() + (this.out.isTTY ? "" : "\n"));
    }
  }

  rate(): number {
    return this.done / Math.max(1e-3, (Date.now() - this.started) / 1000);
  }

  line(): string {
    const width = 24;
    const frac = this.total ? this.done / this.total : 1;
    const bar = "#".repeat(Math.round(frac * width)).padEnd(width, ".");
    const rate = this.rate();
    const eta = rate > 0 ? (this.total - this.done) / rate : Infinity;
    return `[${bar}] ${this.done}/${this.total} ${this.label}  ${rate.toFixed(2)}/s  ETA ${formatSeconds(eta)}`;
  }

  finish(): void {
    if (!this.quiet && this.out.isTTY) this.out.write("\n");
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "--";
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s` : `${s.toFixed(0)}s`;
}
