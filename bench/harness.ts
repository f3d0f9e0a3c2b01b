/**
 * Microseconds of CPU this process has used. The loops timed here never wait on I/O, so on an idle
 * machine their CPU time is their wall time; on a shared one (8 agents on 2 cores here) wall time
 * mostly counts the time the process waited for a core: a bare `await` measured 0.07 µs in one run
 * and 0.41 µs in another minutes later. CPU time counts only the work (every thread's: a parallel
 * GC's share too).
 */
function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/**
 * Ops per second of `fn` (in CPU time: see `cpuMicros`; for in-memory code only, never for a loop
 * that waits on a socket), best of `rounds` timed rounds of `iterations` calls each, after a warm-up.
 */
export async function opsPerSecond(
  fn: (i: number) => unknown,
  options: { iterations?: number; rounds?: number } = {},
): Promise<number> {
  const iterations = options.iterations ?? 200_000;
  const rounds = options.rounds ?? 5;
  for (let i = 0; i < Math.min(iterations, 20_000); i++) await fn(i);
  let best = 0;
  let offset = 0;
  for (let r = 0; r < rounds; r++) {
    const start = cpuMicros();
    for (let i = 0; i < iterations; i++) await fn(offset + i);
    const seconds = (cpuMicros() - start) / 1e6;
    offset += iterations;
    best = Math.max(best, iterations / seconds);
  }
  return best;
}

/** Same, for a synchronous function: no await in the loop, so the baseline pays no promise cost. */
export function opsPerSecondSync(fn: (i: number) => unknown, options: { iterations?: number; rounds?: number } = {}) {
  const iterations = options.iterations ?? 200_000;
  const rounds = options.rounds ?? 5;
  let sink: unknown;
  for (let i = 0; i < Math.min(iterations, 20_000); i++) sink = fn(i);
  let best = 0;
  let offset = 0;
  for (let r = 0; r < rounds; r++) {
    const start = cpuMicros();
    for (let i = 0; i < iterations; i++) sink = fn(offset + i);
    const seconds = (cpuMicros() - start) / 1e6;
    offset += iterations;
    best = Math.max(best, iterations / seconds);
  }
  if (sink === Symbol.for('never')) console.log(sink);
  return best;
}

function format(n: number): string {
  return Math.round(n).toLocaleString('en-US').padStart(12);
}

/**
 * One line: our ops/s, the baseline's, and how far we are from it (baseline / ours: 1.0 is as
 * fast as the baseline, 2.0 twice as slow), with the target.
 */
export function report(name: string, ours: number, baseline: number, baselineName: string, target?: number): void {
  const slowdown = baseline / ours;
  const verdict =
    target === undefined
      ? ''
      : slowdown <= target
        ? `  (target <= ${target}x: met)`
        : `  (target <= ${target}x: MISSED)`;
  console.log(
    `${name.padEnd(44)} ours ${format(ours)} ops/s | ${baselineName.padEnd(34)} ${format(baseline)} ops/s | slowdown ${slowdown.toFixed(2)}x${verdict}`,
  );
}

/**
 * `report`, with a target on our own time per call in microseconds rather than on the ratio: for a
 * case where the baseline has nothing alike (our memo of scores) and the target is absolute. `note`
 * follows the verdict (a figure from the same run that tells how loaded the machine was).
 */
export function reportMicros(
  name: string,
  ours: number,
  baseline: number,
  baselineName: string,
  targetMicros: number,
  note = '',
): void {
  const micros = 1e6 / ours;
  const verdict = micros <= targetMicros ? 'met' : 'MISSED';
  console.log(
    `${name.padEnd(44)} ours ${format(ours)} ops/s | ${baselineName.padEnd(34)} ${format(baseline)} ops/s | slowdown ${(baseline / ours).toFixed(2)}x  (${micros.toFixed(3)} µs/call, target <= ${targetMicros} µs: ${verdict}${note})`,
  );
}
