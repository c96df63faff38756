// registerEngineLifecycle (src/models/engineLifecycle.ts): what the user sees of the engine's
// starts and crashes. Every event is a line in the log at its level; a crash the engine recovers
// from shows the "restarted" item; one past the crash limit shows the "stopped" item and an error
// message whose Retry restarts the engine, and the start that follows hides the item; the Restart
// Engine command restarts the engine. Run against a stub of the vscode API and a fake host.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { EngineLifecycleEvent, ManagedEngineHost } from '../../../src/host/lifecycle';
import { installVscodeStub } from '../vscodeModule';
import { fakeEngineHost, fakeLog } from './fakeEngineHost';

interface StubItem {
  text: string;
  visible: boolean;
  show(): void;
  hide(): void;
  dispose(): void;
}

const commands = new Map<string, (...args: unknown[]) => unknown>();
const errorMessages: string[] = [];
const statusMessages: string[] = [];
/** What the user picks in the next error message (undefined: dismissed). */
let errorChoice: string | undefined;
let lastRetry: Promise<unknown> | undefined;

installVscodeStub({
  StatusBarAlignment: { Left: 1, Right: 2 },
  MarkdownString: class {
    isTrusted = true;
    constructor(readonly value: string) {}
  },
  ThemeColor: class {
    constructor(readonly id: string) {}
  },
  window: {
    createStatusBarItem: (): StubItem => ({
      text: '',
      visible: false,
      show() {
        this.visible = true;
      },
      hide() {
        this.visible = false;
      },
      dispose() {
        this.visible = false;
      },
    }),
    showErrorMessage: (message: string) => {
      errorMessages.push(message);
      return Promise.resolve(errorChoice);
    },
    setStatusBarMessage: (message: string) => {
      statusMessages.push(message);
      return { dispose: () => undefined };
    },
  },
  commands: {
    registerCommand: (id: string, run: (...args: unknown[]) => unknown) => {
      commands.set(id, run);
      return { dispose: () => commands.delete(id) };
    },
    executeCommand: (id: string, ...args: unknown[]) => {
      const run = commands.get(id);
      if (!run) return Promise.reject(new Error(`no command ${id}`));
      lastRetry = Promise.resolve(run(...args));
      return lastRetry;
    },
  },
});

const { registerEngineLifecycle } = require('../../../src/models/engineLifecycle') as typeof import('../../../src/models/engineLifecycle');
const { COMMANDS } = require('../../../src/commands') as typeof import('../../../src/commands');

type Log = Parameters<typeof registerEngineLifecycle>[2];

const disposables: { dispose(): unknown }[] = [];
function register(host: ManagedEngineHost, log: Log) {
  const context = { subscriptions: disposables } as unknown as Parameters<typeof registerEngineLifecycle>[0];
  return registerEngineLifecycle(context, host, log);
}

afterEach(() => {
  // The status bar item's hide timer goes with it.
  for (const d of disposables.splice(0)) d.dispose();
  errorMessages.length = 0;
  statusMessages.length = 0;
  errorChoice = undefined;
  lastRetry = undefined;
});

const crash = (restarting: boolean, crashesInWindow: number): EngineLifecycleEvent => ({
  kind: 'crashed',
  reason: 'the engine process exited with code 9',
  crashesInWindow,
  restarting,
  interrupted: [],
});

describe('registerEngineLifecycle', () => {
  it('a crash the engine recovers from: a warning line, the "restarted" item, and no error message', () => {
    const { host, emit } = fakeEngineHost();
    const { log, lines } = fakeLog<Log>();
    const api = register(host, log);
    assert.equal(api.notice(), undefined, 'nothing is shown before anything happened');
    emit(crash(true, 1));
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.level, 'warn');
    assert.match(lines[0]?.text ?? '', /exited with code 9.*a new one started/);
    assert.equal(api.notice()?.severity, 'warning');
    assert.match(api.notice()?.text ?? '', /restarted/);
    assert.deepEqual(errorMessages, []);
  });

  it('a crash past the limit: an error line, the "stopped" item, and an error message whose Retry restarts the engine; the start that follows hides the item', async () => {
    const { host, emit, calls } = fakeEngineHost();
    const { log, lines } = fakeLog<Log>();
    const api = register(host, log);
    errorChoice = 'Retry';
    emit(crash(false, 3));
    assert.equal(lines[0]?.level, 'error');
    assert.equal(api.notice()?.severity, 'error');
    assert.match(api.notice()?.text ?? '', /stopped/);
    assert.equal(errorMessages.length, 1);
    assert.match(errorMessages[0] ?? '', /crashed 3 times within a minute and was not restarted/);
    // The message's answer arrives on a later turn, then the command runs.
    for (let i = 0; i < 10 && lastRetry === undefined; i++) await new Promise((resolve) => setImmediate(resolve));
    await lastRetry;
    assert.deepEqual(calls, ['restart retry']);
    emit({ kind: 'started', cause: 'retry', threads: 2 });
    assert.equal(api.notice(), undefined, 'the stopped item is hidden once the engine runs again');
    assert.equal(lines.at(-1)?.level, 'info');
    assert.match(lines.at(-1)?.text ?? '', /engine started \(retry\)/);
  });

  it('a dismissed error message restarts nothing', async () => {
    const { host, emit, calls } = fakeEngineHost();
    const { log } = fakeLog<Log>();
    register(host, log);
    emit(crash(false, 3));
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(errorMessages.length, 1);
    assert.deepEqual(calls, []);
  });

  it('a start after a crash keeps the crash notice; only a start asked for (retry) hides it', () => {
    const { host, emit } = fakeEngineHost();
    const { log } = fakeLog<Log>();
    const api = register(host, log);
    emit(crash(true, 1));
    emit({ kind: 'started', cause: 'crash', threads: 2 });
    assert.match(api.notice()?.text ?? '', /restarted/, 'the crash notice stays');
  });

  it('Restart Engine restarts the engine and says so in the status bar', async () => {
    const { host, calls } = fakeEngineHost();
    const { log } = fakeLog<Log>();
    register(host, log);
    const run = commands.get(COMMANDS.restartEngine);
    assert.ok(run, 'the command is registered');
    await run();
    assert.deepEqual(calls, ['restart retry']);
    assert.equal(statusMessages.length, 1);
    assert.match(statusMessages[0] ?? '', /engine restarted/);
  });
});
