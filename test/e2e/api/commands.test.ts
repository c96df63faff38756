// Every command in package.json's contributes.commands runs in a real VS Code without throwing,
// from an editor with a selection (what most palette commands expect). Commands that open a
// quick pick or input box are answered with Escape; settings a command changes (toggles) are
// put back afterwards so later tests see the sample workspace's settings.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { contributedCommands, extension, openFile, resetEditors, selectText, sleep } from './helpers';

type Snapshot = Map<string, { global: unknown; workspace: unknown }>;

function tealeafSettingKeys(): string[] {
  const manifest = extension().packageJSON as { contributes?: { configuration?: { properties?: Record<string, unknown> } | { properties?: Record<string, unknown> }[] } };
  const configuration = manifest.contributes?.configuration;
  const sections = Array.isArray(configuration) ? configuration : configuration ? [configuration] : [];
  return sections.flatMap((s) => Object.keys(s.properties ?? {}));
}

function snapshotSettings(): Snapshot {
  const config = vscode.workspace.getConfiguration();
  const snapshot: Snapshot = new Map();
  for (const key of tealeafSettingKeys()) {
    const inspected = config.inspect(key);
    snapshot.set(key, { global: inspected?.globalValue, workspace: inspected?.workspaceValue });
  }
  return snapshot;
}

async function restoreSettings(before: Snapshot): Promise<string[]> {
  const changed: string[] = [];
  const config = vscode.workspace.getConfiguration();
  for (const [key, values] of before) {
    const now = config.inspect(key);
    if (JSON.stringify(now?.globalValue) !== JSON.stringify(values.global)) {
      changed.push(key);
      await config.update(key, values.global, vscode.ConfigurationTarget.Global);
    }
    if (JSON.stringify(now?.workspaceValue) !== JSON.stringify(values.workspace)) {
      changed.push(key);
      await config.update(key, values.workspace, vscode.ConfigurationTarget.Workspace);
    }
  }
  return changed;
}

/** Runs a command; while it waits for user input, Escape-equivalents close pickers and boxes. */
async function runAnswered(command: string, timeoutMs: number): Promise<void> {
  let settled = false;
  let failure: unknown;
  const running = Promise.resolve(vscode.commands.executeCommand(command)).then(
    () => (settled = true),
    (error: unknown) => {
      failure = error;
      settled = true;
    },
  );
  const deadline = Date.now() + timeoutMs;
  for (let waited = 0; !settled; waited += 250) {
    if (Date.now() > deadline) throw new Error(`${command} did not finish within ${timeoutMs} ms`);
    await sleep(250);
    if (!settled && waited > 0 && waited % 2000 === 0) await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
  }
  await running;
  if (failure !== undefined) throw failure;
}

export function registerCommandTests(): void {
  describe('contributed commands', () => {
    before(async () => {
      await extension().activate();
    });
    afterEach(async () => {
      await resetEditors();
    });

    it('are contributed at all', () => {
      assert.ok(contributedCommands().length > 0, 'package.json contributes no commands');
    });

    for (const { command, title } of contributedCommandsAtLoad()) {
      it(`${command} (${title}) runs without throwing`, async () => {
        const editor = await openFile('docs/welcome.md');
        // A translation command before this one may land its edit after the editors were reset
        // (seen once): each command starts from the file as it is on disk.
        if (editor.document.isDirty) await vscode.commands.executeCommand('workbench.action.files.revert');
        selectText(editor, 'The file could not be opened.');
        const settings = snapshotSettings();
        try {
          await runAnswered(command, 90_000);
        } finally {
          await restoreSettings(settings);
        }
      });
    }
  });
}

/** The command list is read when the suite is defined (mocha needs the tests up front). */
function contributedCommandsAtLoad(): { command: string; title: string }[] {
  try {
    return contributedCommands();
  } catch {
    return []; // "are contributed at all" reports it
  }
}
