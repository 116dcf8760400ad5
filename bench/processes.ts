/**
 * Child processes of the benchmark: every one is registered so that `killAll()` can end them by PID (on success,
 * failure and SIGINT/SIGTERM alike), plus CPU accounting of other processes from `/proc`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const live = new Set<ChildProcess>();

/** Ends every child still running (SIGTERM, by PID). Safe to call more than once. */
export function killAll(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
  }
  live.clear();
}

/** A registered `node` child; stdin is a pipe so a child can notice that the driver died. */
export function spawnNode(script: string, args: string[], env: NodeJS.ProcessEnv = process.env, nodeFlags: string[] = [], wrapper: string[] = []): ChildProcess {
  // A wrapper such as `taskset -c 0` execs node in place, so the PID stays node's.
  const [command, ...prefix] = [...wrapper, process.execPath];
  const child = spawn(command, [...prefix, ...nodeFlags, script, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Resolves with the JSON after `tag` on the child's first stdout line starting with it; rejects if it exits first. */
export function waitForTaggedLine<T>(child: ChildProcess, tag: string, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    let pending = '';
    let seen = '';
    let err = '';
    let found = false;
    child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      let newline: number;
      while (!found && (newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (!line.startsWith(tag)) {
          seen = (seen + line + '\n').slice(-2000);
          continue;
        }
        found = true;
        try {
          resolve(JSON.parse(line.slice(tag.length)) as T);
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-4000)));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (!found) reject(new Error(`${what} exited (${signal ?? `code ${code}`}) without a result:\n${(err.trim() || seen.trim()) || '(no output)'}`));
    });
  });
}

/** Waits for a child to exit (after its result line, workers exit on their own). */
export function waitForExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('close', (code) => resolve(code)));
}

let clockTicks: number | undefined;

/** CPU seconds (user + system) a process has used so far, from `/proc/PID/stat`; 0 when it is gone. */
export function cpuSecondsOf(pid: number): number {
  clockTicks ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm) ": state is field 3, so utime (14) and stime (15) are at 11 and 12.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return 0;
  }
}

/** PIDs of the Ceph daemons (mon, osd, rgw) of the radosgw cluster in `dir`, from its pid files. */
export function cephPids(dir: string): number[] {
  const run = join(dir, 'run');
  try {
    return readdirSync(run)
      .filter((f) => f.endsWith('.pid'))
      .map((f) => Number(readFileSync(join(run, f), 'utf8').trim()))
      .filter((pid) => Number.isInteger(pid) && pid > 0);
  } catch {
    return [];
  }
}
