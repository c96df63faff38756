// "Tealeaf: Download Model…" driven through a vscode stub against the mock Hub: the catalog pick
// with sizes filled in as the Hub answers, an Enter that lands while those sizes replace the rows,
// the dtype and job steps, the download, and the settings it writes.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { EventEmitter, installVscodeStub } from '../vscodeModule';
import { FIXTURE_REPOS, type MockHub, startMockHub } from './mockHub';

interface Item {
  readonly label: string;
  readonly description?: string;
  readonly detail?: string;
  readonly picked?: boolean;
}

/** vscode.QuickPick as the command drives it; the test plays the user through `accept`. */
class FakeQuickPick {
  title = '';
  placeholder = '';
  matchOnDescription = false;
  matchOnDetail = false;
  busy = false;
  items: readonly Item[] = [];
  activeItems: readonly Item[] = [];
  selectedItems: readonly Item[] = [];
  shown = false;
  disposed = false;
  private readonly accepted = new EventEmitter<void>();
  private readonly hidden = new EventEmitter<void>();
  readonly onDidAccept = this.accepted.event;
  readonly onDidHide = this.hidden.event;
  show(): void {
    this.shown = true;
  }
  hide(): void {
    this.hidden.fire();
  }
  dispose(): void {
    this.disposed = true;
  }
  accept(): void {
    this.accepted.fire();
  }
}

interface Update {
  readonly key: string;
  readonly value: unknown;
  readonly target: number;
}

const recorded = {
  quickPicks: [] as FakeQuickPick[],
  /** Each showQuickPick call: its title and items. */
  steps: [] as { title: string; items: readonly Item[] }[],
  progressTitles: [] as string[],
  info: [] as string[],
  errors: [] as string[],
  updates: [] as Update[],
};

/** How each showQuickPick step answers: the labels to choose (one step's pick, or the picked items). */
let answers: ((title: string, items: readonly Item[]) => Item | Item[] | undefined)[] = [];

const stub = {
  ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
  ProgressLocation: { Notification: 15 },
  window: {
    createQuickPick: () => {
      const pick = new FakeQuickPick();
      recorded.quickPicks.push(pick);
      return pick;
    },
    showQuickPick: async (items: readonly Item[], options: { title: string }) => {
      recorded.steps.push({ title: options.title, items });
      return answers.shift()?.(options.title, items);
    },
    showInputBox: async () => undefined,
    withProgress: async <T>(options: { title: string }, task: (progress: { report(value: unknown): void }, token: { onCancellationRequested(listener: () => void): void }) => Promise<T>) => {
      recorded.progressTitles.push(options.title);
      return task({ report: () => undefined }, { onCancellationRequested: () => undefined });
    },
    showInformationMessage: async (message: string) => void recorded.info.push(message),
    showErrorMessage: async (message: string) => void recorded.errors.push(message),
  },
  workspace: {
    getConfiguration: () => ({
      inspect: () => undefined,
      update: async (key: string, value: unknown, target: number) => void recorded.updates.push({ key, value, target }),
    }),
    onDidChangeConfiguration: () => ({ dispose: () => undefined }),
  },
  commands: { executeCommand: async () => undefined },
};
installVscodeStub(stub);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { downloadModelCommand } = require('../../../src/hub/vscode/downloadCommand') as typeof import('../../../src/hub/vscode/downloadCommand');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { hubEnvironment } = require('../../../src/hub/environment') as typeof import('../../../src/hub/environment');

const log = { info: () => undefined, error: () => undefined } as unknown as Parameters<typeof downloadModelCommand>[1];

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const byLabel = (label: string) => (_title: string, items: readonly Item[]) => items.find((item) => item.label === label);
const thePreselected = (_title: string, items: readonly Item[]) => items.filter((item) => item.picked === true);

describe('Download Model… (the command, through its quick picks)', () => {
  let hub: MockHub;
  let cacheDir: string;
  before(async () => {
    hub = await startMockHub({ repos: FIXTURE_REPOS });
  });
  after(async () => hub.close());
  beforeEach(() => {
    cacheDir = mkdtempSync(path.join(tmpdir(), 'tealeaf-download-command-'));
    for (const list of Object.values(recorded)) list.length = 0;
    answers = [];
  });
  afterEach(() => rmSync(cacheDir, { recursive: true, force: true }));

  const environment = () => hubEnvironment({ cacheDir }, { HF_ENDPOINT: hub.endpoint });

  it('shows the catalog with sizes from the Hub, takes the active row when Enter lands as the rows are replaced, downloads, and points the chosen jobs at it', async () => {
    answers = [byLabel('q8'), thePreselected];
    const running = downloadModelCommand(environment(), log);
    await until(() => recorded.quickPicks.length === 1 && recorded.quickPicks[0]!.shown, 'the repository pick');
    const pick = recorded.quickPicks[0]!;
    assert.match(pick.title, /\(1\/3\)/);
    await until(() => !pick.busy, 'the sizes from the Hub');
    const gpt2 = pick.items.find((item) => item.label === 'Xenova/gpt2');
    assert.ok(gpt2);
    assert.match(gpt2.detail ?? '', /q8 [\d.]+ [kKMG]?B/);
    assert.match(pick.items[pick.items.length - 1]!.label, /Other repository/);

    // The renderer has cleared the selection while new rows arrive; the active row is the one meant.
    pick.selectedItems = [];
    pick.activeItems = [gpt2];
    pick.accept();

    const result = await running;
    assert.ok(result);
    assert.equal(result.repo, 'Xenova/gpt2');
    assert.equal(result.dtype, 'q8');
    assert.ok(pick.disposed);
    assert.deepEqual(
      recorded.steps.map((s) => s.title),
      ['Tealeaf: Download Model (2/3): weights of Xenova/gpt2', 'Tealeaf: Download Model (3/3): use it for'],
    );
    assert.ok(readFileSync(path.join(result.path, 'onnx', 'decoder_model_merged_quantized.onnx')).length > 0);
    assert.deepEqual(recorded.updates, [
      { key: 'tealeaf.completion.model', value: result.path, target: 1 },
      { key: 'tealeaf.completion.dtype', value: 'q8', target: 1 },
      { key: 'tealeaf.inspector.model', value: result.path, target: 1 },
      { key: 'tealeaf.inspector.dtype', value: 'q8', target: 1 },
    ]);
    assert.deepEqual(recorded.info, ['Tealeaf: Xenova/gpt2 (q8) is ready. Used for: inline completions, attention inspector.']);
    assert.deepEqual(recorded.errors, []);
  });

  it('leaves the pick open on an Enter with no row at all, and goes on with the next Enter', async () => {
    answers = [byLabel('q8'), () => []];
    const running = downloadModelCommand(environment(), log);
    await until(() => recorded.quickPicks[0]?.shown === true, 'the repository pick');
    const pick = recorded.quickPicks[0]!;
    pick.selectedItems = [];
    pick.activeItems = [];
    pick.accept();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(pick.disposed, false);
    assert.deepEqual(recorded.steps, []);

    pick.selectedItems = [pick.items.find((item) => item.label === 'Xenova/gpt2')!];
    pick.accept();
    const result = await running;
    assert.equal(result?.repo, 'Xenova/gpt2');
    // No job chosen: downloaded only, no setting written.
    assert.deepEqual(recorded.updates, []);
    assert.deepEqual(recorded.info, ['Tealeaf: Xenova/gpt2 (q8) is ready.']);
  });

  it('does nothing when the repository pick is dismissed', async () => {
    const running = downloadModelCommand(environment(), log);
    await until(() => recorded.quickPicks[0]?.shown === true, 'the repository pick');
    recorded.quickPicks[0]!.hide();
    assert.equal(await running, undefined);
    assert.deepEqual(recorded.steps, []);
    assert.deepEqual(recorded.progressTitles, []);
  });
});
