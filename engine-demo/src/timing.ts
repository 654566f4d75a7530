/**
 * Timing for benchmarks (Node and browser alike): `warmups` untimed runs (default 1), then `reps`
 * timed runs. A runtime's very first runs (thread pool start, allocator growth) need several.
 */
export interface Timing {
  median: number;
  min: number;
  samples: number[];
}

export async function timeRuns(run: () => Promise<unknown>, reps: number, warmups = 1): Promise<Timing> {
  for (let i = 0; i < warmups; i++) await run(); // first-run allocations and kernel selection are not what we measure
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await run();
    samples.push(performance.now() - t0);
  }
  return { median: median(samples), min: Math.min(...samples), samples };
}

export function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
