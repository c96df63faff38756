// What the user is told about the engine worker, and when the restarts stop: the crash window
// counts crashes within its minute only, and each lifecycle event has its status text and log line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CrashWindow } from '../../../src/host/crashWindow';
import { engineLogLine, engineNotice } from '../../../src/models/lifecycleText';

describe('CrashWindow', () => {
  it('gives up at the third crash within a minute, not when the crashes are spread out', () => {
    const window = new CrashWindow(3, 60_000);
    assert.deepEqual(window.record(0), { crashesInWindow: 1, giveUp: false });
    assert.deepEqual(window.record(30_000), { crashesInWindow: 2, giveUp: false });
    assert.deepEqual(window.record(70_000), { crashesInWindow: 2, giveUp: false }, 'the first crash has left the window');
    assert.deepEqual(window.record(80_000), { crashesInWindow: 3, giveUp: true });
  });

  it('starts counting afresh after clear() (the user asked to retry)', () => {
    const window = new CrashWindow(3, 60_000);
    window.record(0);
    window.record(1);
    window.clear();
    assert.deepEqual(window.record(2), { crashesInWindow: 1, giveUp: false });
  });
});

describe('engine lifecycle texts', () => {
  const at = new Date(2026, 11, 4, 14, 3, 22);
  const crash = { kind: 'crashed', reason: 'it exited with code 1', crashesInWindow: 1, restarting: true, interrupted: [{ method: 'generate', replayed: false }, { method: 'translate', replayed: true }] } as const;

  it('a crash with a restart: a warning that fades, naming what was interrupted', () => {
    const notice = engineNotice(crash, at);
    assert.equal(notice?.text, '$(debug-restart) Tealeaf engine restarted');
    assert.equal(notice?.severity, 'warning');
    assert.equal(notice?.hideAfterMs, 30_000);
    assert.match(notice?.tooltip ?? '', /stopped\*\* at .* \(it exited with code 1\) and a new one started/);
    assert.match(notice?.tooltip ?? '', /Interrupted: generate \(failed once\), translate \(run again\)/);
    assert.deepEqual(engineLogLine(crash), {
      level: 'warn',
      text: 'engine stopped (it exited with code 1); a new one started, models load again on their next use; interrupted: generate (failed once), translate (run again)',
    });
  });

  it('the third crash: an error that stays and says how to start it again', () => {
    const stopped = { ...crash, crashesInWindow: 3, restarting: false, interrupted: [] };
    const notice = engineNotice(stopped, at);
    assert.equal(notice?.text, '$(error) Tealeaf engine stopped');
    assert.equal(notice?.severity, 'error');
    assert.equal(notice?.hideAfterMs, undefined);
    assert.match(notice?.tooltip ?? '', /crashed 3 times within a minute.*Restart Engine.*Click to restart it/s);
    assert.equal(engineLogLine(stopped).level, 'error');
  });

  it('a restart for the thread setting is news; a first start and a reload are not', () => {
    assert.match(engineNotice({ kind: 'started', cause: 'threads', threads: 4 }, at)?.tooltip ?? '', /with 4 threads \(tealeaf\.engine\.threads\)/);
    assert.equal(engineNotice({ kind: 'started', cause: 'first-use', threads: undefined }, at), undefined);
    assert.equal(engineNotice({ kind: 'modelReloaded', modelDir: '/m', ms: 12 }, at), undefined);
    assert.deepEqual(engineLogLine({ kind: 'modelReloaded', modelDir: '/m', ms: 12.4 }), { level: 'info', text: 'reloaded /m into the new engine in 12 ms' });
  });

  it('a restart for the backend setting is news; a backend notice goes to the log at its level only', () => {
    const restarted = engineNotice({ kind: 'started', cause: 'backend', threads: undefined, backend: 'native' }, at);
    assert.match(restarted?.tooltip ?? '', /with the native backend \(tealeaf\.engine\.backend\)/);
    assert.equal(engineLogLine({ kind: 'started', cause: 'backend', threads: 2, backend: 'native' }).text, 'engine started (backend) with 2 threads, backend native');
    const notice = { kind: 'notice', level: 'warn', text: 'native backend unavailable: no addon; models run on WebAssembly' } as const;
    assert.equal(engineNotice(notice, at), undefined);
    assert.deepEqual(engineLogLine(notice), { level: 'warn', text: notice.text });
  });

  it('says each text whole: the restart tooltip paragraph by paragraph, with no empty Interrupted line', () => {
    const time = at.toLocaleTimeString();
    const quiet = engineNotice({ ...crash, interrupted: [] }, at);
    assert.equal(quiet?.tooltip, `**The Tealeaf engine stopped** at ${time} (it exited with code 1) and a new one started.\n\nModels load again on their next use.`);
    assert.equal(
      engineNotice(crash, at)?.tooltip,
      `**The Tealeaf engine stopped** at ${time} (it exited with code 1) and a new one started.\n\nModels load again on their next use.\n\nInterrupted: generate (failed once), translate (run again).`,
    );
    assert.deepEqual(engineLogLine({ ...crash, interrupted: [] }), { level: 'warn', text: 'engine stopped (it exited with code 1); a new one started, models load again on their next use' });
    const stopped = { ...crash, crashesInWindow: 3, restarting: false, interrupted: [] };
    assert.deepEqual(engineLogLine(stopped), {
      level: 'error',
      text: 'engine stopped (it exited with code 1); It crashed 3 times within a minute, so Tealeaf stopped restarting it; use Tealeaf: Restart Engine, Retry in the menu, or change a Tealeaf setting to start it again',
    });
  });

  it('names the restart on the status bar, and the threads in the singular, the plural and by default', () => {
    for (const cause of ['threads', 'backend'] as const) {
      const notice = engineNotice({ kind: 'started', cause, threads: 1, backend: 'wasm' }, at);
      assert.equal(notice?.text, '$(debug-restart) Tealeaf engine restarted');
      assert.equal(notice?.severity, 'info');
      assert.equal(notice?.hideAfterMs, 10_000);
    }
    assert.match(engineNotice({ kind: 'started', cause: 'threads', threads: 1 }, at)?.tooltip ?? '', /with 1 thread \(tealeaf/);
    assert.match(engineNotice({ kind: 'started', cause: 'threads', threads: undefined }, at)?.tooltip ?? '', /with the default threads \(tealeaf/);
    assert.match(engineNotice({ kind: 'started', cause: 'backend', threads: undefined }, at)?.tooltip ?? '', /with the auto backend/);
    assert.equal(engineLogLine({ kind: 'started', cause: 'first-use', threads: undefined }).text, 'engine started (first-use) with the default threads');
  });
});
