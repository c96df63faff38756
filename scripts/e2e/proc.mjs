// Child processes for the e2e harness: plain runs that fail loudly, and long-lived servers
// started in their own process group so that the whole tree can be stopped at once.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export class CommandError extends Error {
  name = 'CommandError';
}

/**
 * Runs a command to completion. Output goes to `logFile` when given (and the tail is put in
 * the error), else it is inherited.
 * @param {string} command
 * @param {readonly string[]} args
 * @param {{ cwd?: string, env?: NodeJS.ProcessEnv, logFile?: string }} [options]
 * @returns {Promise<void>}
 */
export function runCommand(command, args, options = {}) {
  return new Promise((resolvePromise, reject) => {
    const log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
    const tail = [];
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: log ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    });
    const keep = (chunk) => {
      log?.write(chunk);
      tail.push(chunk.toString());
      // Only the end matters for the error message.
      while (tail.length > 200) tail.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('error', (error) => reject(new CommandError(`${command}: ${error.message}`)));
    child.on('close', (code, signal) => {
      log?.end();
      if (code === 0) return resolvePromise();
      const where = options.logFile ? ` (full log: ${options.logFile})` : '';
      const lastLines = tail.join('').split('\n').slice(-40).join('\n');
      reject(new CommandError(`${command} ${args.join(' ')} exited with ${code ?? signal}${where}\n${lastLines}`));
    });
  });
}

/**
 * A server started as the leader of a new process group (setsid). `stop()` signals the whole
 * group: killing only the leader would leave code-server's extension hosts and file watchers
 * running. Registered process-exit hooks stop it even when the caller throws or is interrupted.
 */
export class ProcessGroup {
  /** @type {import('node:child_process').ChildProcess} */
  #child;
  #stopped = false;
  #exited;
  #onExit = () => this.#killGroup('SIGKILL');

  /**
   * @param {string} command
   * @param {readonly string[]} args
   * @param {{ cwd?: string, env: NodeJS.ProcessEnv, logFile: string }} options
   */
  constructor(command, args, options) {
    const log = createWriteStream(options.logFile, { flags: 'a' });
    // detached: true makes Node call setsid() in the child: it becomes leader of a new
    // session and process group whose id is its pid.
    this.#child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child.stdout?.pipe(log);
    this.#child.stderr?.pipe(log);
    this.#exited = new Promise((resolvePromise) => this.#child.on('exit', () => resolvePromise()));
    // 'exit' handlers run synchronously, which process.kill is: the group dies with us.
    process.on('exit', this.#onExit);
  }

  get pgid() {
    return this.#child.pid;
  }

  /** Resolves when the leader exits (for servers that must stay up, that is a failure). */
  get exited() {
    return this.#exited;
  }

  #killGroup(signal) {
    const pgid = this.#child.pid;
    if (pgid === undefined) return;
    try {
      // Negative pid: the whole process group (kill -- -PGID).
      process.kill(-pgid, signal);
    } catch {
      // ESRCH: the group is already gone.
    }
  }

  /** TERM to the group, then KILL to whatever is left after a grace period. */
  async stop(graceMs = 5000) {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#killGroup('SIGTERM');
    const grace = new Promise((resolvePromise) => setTimeout(resolvePromise, graceMs).unref());
    await Promise.race([this.#exited, grace]);
    // The leader may be gone while its children (extension hosts, pty hosts) are not.
    this.#killGroup('SIGKILL');
    process.off('exit', this.#onExit);
  }
}

/**
 * Stops every registered group on SIGINT/SIGTERM (Ctrl-C) and exits with the conventional
 * code; 'exit' hooks in ProcessGroup cover normal ends, thrown errors and process.exit().
 * @param {() => Promise<void>} cleanup
 */
export function onInterrupt(cleanup) {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
}
