/**
 * One devnet validator as a supervised child process: its output formatted into a log file
 * (renamed to `.1` when it reaches maxLogFileBytes, so a long-running devnet cannot fill the
 * disk), the last lines kept for a crash report, and a restart with exponential backoff
 * after an exit nobody asked for. A refusal to start that a restart cannot cure (a data
 * directory of an older format, a port in use...) is reported as fatal instead, so the
 * launcher stops rather than looping.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatLogLine } from './log-format.js';
import {
  CRASH_TAIL_LINES,
  MAX_LOG_FILE_BYTES,
  RESTART_BACKOFF_INITIAL_MS,
  RESTART_BACKOFF_MAX_MS,
  RESTART_BACKOFF_RESET_AFTER_MS,
  STOP_TIMEOUT_MS,
} from './options.js';

/**
 * `error CODE: message` codes of `ledger node` that a restart may get past: failures while
 * running. Any other code is a refusal to start (bad option, data of another chain or an
 * older format, a port or data directory in use) that the same start would meet again.
 */
const RETRYABLE_FAILURES = new Set(['UNCAUGHT_ERROR', 'INTERNAL', 'STORAGE_FAILURE', 'NODE_FAILED']);

/** A partial line longer than this is written out as it is, so no output can grow memory. */
const MAX_PENDING_LINE_CHARS = 64 * 1024;

export interface ValidatorSpec {
  index: number;
  name: string;
  /** The program and arguments: [bin/ledger.js, 'node', ...]. */
  args: string[];
  env: NodeJS.ProcessEnv;
  logPath: string;
}

export interface ExitReport {
  index: number;
  name: string;
  /** How it ended: `code 1` or `signal SIGKILL`. */
  how: string;
  /** Its last log lines. */
  tail: string[];
  /** Set when it will be started again after this long. */
  restartInMs?: number;
  /** Set when it refused to start for a reason that a restart would meet again. */
  fatalCode?: string;
}

export interface ValidatorHooks {
  /** Every formatted log line (for --verbose). */
  onLine(index: number, line: string): void;
  onExit(report: ExitReport): void;
  onStart(index: number, pid: number, restarts: number): void;
}

class LogFile {
  private fd: number;
  private bytes: number;
  private failure: string | undefined;

  constructor(
    private readonly path: string,
    private readonly maxBytes: number,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
    this.bytes = statSync(path).size;
  }

  write(text: string): void {
    if (this.failure !== undefined) return;
    try {
      if (this.bytes >= this.maxBytes) this.rotate();
      // Synchronous: the lines of a node that crashes are on disk before its report is shown.
      this.bytes += writeSync(this.fd, text);
    } catch (err) {
      // A full disk must not take the launcher down (and leave its nodes running unwatched).
      this.failure = (err as NodeJS.ErrnoException).code ?? 'error';
      process.stderr.write(
        `devnet: cannot write ${this.path} (${this.failure}); its lines are not kept now\n`,
      );
    }
  }

  private rotate(): void {
    closeSync(this.fd);
    renameSync(this.path, `${this.path}.1`);
    this.fd = openSync(this.path, 'a');
    this.bytes = 0;
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // Already closed by a failed rotation: nothing is left to flush.
    }
  }
}

export class ValidatorProcess {
  private child: ChildProcess | undefined;
  private readonly log: LogFile;
  private readonly tail: string[] = [];
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private backoffMs = RESTART_BACKOFF_INITIAL_MS;
  private startedAtMs = 0;
  private refusal: string | undefined;
  restarts = 0;

  constructor(
    readonly spec: ValidatorSpec,
    private readonly hooks: ValidatorHooks,
  ) {
    this.log = new LogFile(spec.logPath, MAX_LOG_FILE_BYTES);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    this.refusal = undefined;
    this.startedAtMs = Date.now();
    this.record(`--- devnet: starting ${this.spec.name} (${new Date(this.startedAtMs).toISOString()}) ---`);
    const child = spawn(process.execPath, this.spec.args, {
      env: this.spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // A process group of its own: the terminal's Ctrl-C reaches the launcher only, which
      // stops the nodes itself, so no node's exit is mistaken for a crash mid-shutdown.
      detached: true,
    });
    this.child = child;
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', this.lineSplitter());
    child.stderr?.on('data', this.lineSplitter());
    child.once('error', (err) => this.record(`--- devnet: could not start: ${err.message} ---`));
    child.once('exit', (code, signal) => this.exited(code, signal));
    if (child.pid !== undefined) this.hooks.onStart(this.spec.index, child.pid, this.restarts);
  }

  /** SIGTERM (the node's orderly stop), SIGKILL after STOP_TIMEOUT_MS; resolves once it has exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((done) => {
        child.once('exit', () => done());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS).unref();
      });
    }
    this.log.close();
  }

  private lineSplitter(): (chunk: string) => void {
    let pending = '';
    return (chunk) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      if (pending.length > MAX_PENDING_LINE_CHARS) {
        lines.push(pending);
        pending = '';
      }
      for (const line of lines) if (line.length > 0) this.record(formatLogLine(line));
    };
  }

  private record(text: string): void {
    const refusal = /^error ([A-Z_]+):/.exec(text);
    if (refusal) this.refusal = refusal[1];
    this.log.write(`${text}\n`);
    for (const line of text.split('\n')) {
      this.tail.push(line);
      this.hooks.onLine(this.spec.index, line);
    }
    if (this.tail.length > CRASH_TAIL_LINES) this.tail.splice(0, this.tail.length - CRASH_TAIL_LINES);
  }

  private exited(code: number | null, signal: NodeJS.Signals | null): void {
    const how = signal !== null ? `signal ${signal}` : `code ${code}`;
    this.record(`--- devnet: ${this.spec.name} exited (${how}) ---`);
    if (this.stopping) return;
    const report: ExitReport = { index: this.spec.index, name: this.spec.name, how, tail: [...this.tail] };
    if (this.refusal !== undefined && !RETRYABLE_FAILURES.has(this.refusal)) {
      report.fatalCode = this.refusal;
      this.hooks.onExit(report);
      return;
    }
    if (Date.now() - this.startedAtMs >= RESTART_BACKOFF_RESET_AFTER_MS)
      this.backoffMs = RESTART_BACKOFF_INITIAL_MS;
    report.restartInMs = this.backoffMs;
    this.hooks.onExit(report);
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.restarts++;
      this.start();
    }, this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, RESTART_BACKOFF_MAX_MS);
  }
}
