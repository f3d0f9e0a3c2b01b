import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The built `flipper-server` command. */
export const CLI = join(__dirname, '..', '..', 'server', 'cli.js');

/** A `flipper-server` child process, started on an ephemeral port. */
export interface ServerProcess {
  child: ChildProcess;
  port: number;
  /** Every JSON log line it printed so far. */
  lines: string[];
  /** Sends `signal` and resolves with the exit code (null when killed by a signal), within `ms`. */
  stop(signal?: NodeJS.Signals, ms?: number): Promise<number | null>;
}

/**
 * Starts `node dist/server/cli.js` with `args` (plus `--port 0` unless a port is given) and
 * resolves once it logs that it listens.
 */
export async function startServerProcess(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cwd?: string,
): Promise<ServerProcess> {
  const full = args.includes('--port') ? args : ['--port', '0', ...args];
  const child = spawn(process.execPath, [CLI, ...full], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  let buffered = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let onEarlyExit: ((code: number | null) => void) | undefined;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in 10 s: ${stderr}${lines.join('\n')}`));
    }, 10_000);
    onEarlyExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening: ${stderr}${lines.join('\n')}`));
    };
    child.once('exit', onEarlyExit);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (lines.length < 20_000) lines.push(line);
        const parsed = safeParse(line);
        if (parsed?.msg === 'listening') {
          clearTimeout(timer);
          resolve(parsed.port as number);
        }
      }
    });
  });
  child.off('exit', onEarlyExit!);
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', ms = 15_000): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`server did not exit within ${ms} ms of ${signal}`));
      }, ms);
    });
    try {
      return await Promise.race([exited, late]);
    } finally {
      clearTimeout(timer);
    }
  };
  return { child, port, lines, stop };
}

/** The parsed JSON log lines of a server process. */
export function logRecords(server: ServerProcess): Array<Record<string, unknown>> {
  return server.lines.map(safeParse).filter((r): r is Record<string, unknown> => r !== undefined);
}

/** Resident memory of a process, in bytes (Linux). */
export function residentBytes(pid: number): number {
  const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return match ? Number(match[1]) * 1024 : 0;
}

function safeParse(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
