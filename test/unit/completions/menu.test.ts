// The status bar menu offers the Hub's commands beside the model choice, and each item runs its
// command: picked through a stubbed quick pick, the command that ran is recorded.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, beforeEach, describe, it } from 'node:test';
import { COMMANDS } from '../../../src/commands';
import type { ModelState } from '../../../src/models/types';
import { fakeModelInfo } from '../fakeModelInfo';
import { install, stub } from './vscodeStub';

interface PickItem {
  readonly label: string;
  readonly description?: string;
  readonly detail?: string;
  readonly value?: string;
}

const executed: string[] = [];
/** Every command run, with its arguments. */
const executedWith: unknown[][] = [];
const errors: string[] = [];
const infos: string[] = [];
/** tealeaf.completion settings: what `get` reads, what `update` wrote and where. */
const settings: { model: string | undefined; workspaceValue: string | undefined; updates: [string, unknown, unknown][] } = { model: '', workspaceValue: undefined, updates: [] };
let openDialog: () => { fsPath: string }[] | undefined = () => undefined;
/** The options of each quick pick and open dialog shown, in order. */
const pickOptions: unknown[] = [];
const dialogOptions: unknown[] = [];
let failCommand: string | undefined;
let pick: (items: readonly PickItem[]) => PickItem | undefined = () => undefined;
let shown: readonly PickItem[] = [];

describe('status bar menu', () => {
  let showCompletionMenu: typeof import('../../../src/completions/menu').showCompletionMenu;
  let memoryDescription: typeof import('../../../src/completions/menu').memoryDescription;
  before(async () => {
    install();
    Object.assign(stub.window, {
      showQuickPick: async (items: readonly PickItem[], options: unknown) => {
        shown = items;
        pickOptions.push(options);
        return pick(items);
      },
      showErrorMessage: async (text: string) => void errors.push(text),
      showInformationMessage: async (text: string) => void infos.push(text),
      showOpenDialog: async (options: unknown) => {
        dialogOptions.push(options);
        return openDialog();
      },
    });
    Object.assign(stub, {
      ConfigurationTarget: { Global: 'global' },
      commands: {
        executeCommand: async (command: string, ...args: unknown[]) => {
          if (command === failCommand) throw new Error(`${command} failed`);
          executed.push(command);
          executedWith.push([command, ...args]);
        },
      },
    });
    Object.assign(stub.workspace, {
      isTrusted: true,
      getConfiguration: (section: string) => ({
        get: (name: string, fallback: unknown) => (section === 'tealeaf.completion' && name === 'model' ? (settings.model ?? fallback) : fallback),
        update: async (name: string, value: unknown, target: unknown) => void settings.updates.push([name, value, target]),
        inspect: (name: string) => (section === 'tealeaf.completion' && name === 'model' ? { workspaceValue: settings.workspaceValue } : undefined),
      }),
    });
    ({ showCompletionMenu, memoryDescription } = await import('../../../src/completions/menu'));
  });

  const deps = {
    extensionPath: '/nowhere',
    enabled: () => true,
    modelState: () => ({ status: 'idle' as const }),
    toggle: async () => undefined,
    reload: () => undefined,
    explainTarget: () => undefined,
  };

  for (const [label, command] of [
    ['Download a model from the Hugging Face Hub…', COMMANDS.downloadModel],
    ['Manage models', COMMANDS.manageModels],
    ['Free inspector memory', COMMANDS.freeInspectorMemory],
  ] as const) {
    it(`"${label}" runs ${command}`, async () => {
      executed.length = 0;
      pick = (items) => items.find((item) => item.label.endsWith(label));
      await showCompletionMenu(deps);
      assert.ok(shown.some((item) => item.label.endsWith(label)), `no item ${label} in ${shown.map((i) => i.label).join(' | ')}`);
      assert.deepEqual(executed, [command]);
    });
  }

  it('says the memory of each process beside Free inspector memory: the extension host, and the engines that run', async () => {
    pick = () => undefined;
    const mb = 1024 * 1024;
    await showCompletionMenu({
      ...deps,
      engineMemory: async () => ({ main: { rssBytes: 340 * mb, wasmHeapBytes: 101 * mb, arrayBufferBytes: 0 }, inspector: { rssBytes: 410.4 * mb, wasmHeapBytes: 230.6 * mb, arrayBufferBytes: mb } }),
    });
    assert.match(
      shown.find((item) => item.label.endsWith('Free inspector memory'))?.description ?? '',
      /^extension host \d+ MB · engine 340 MB \(WebAssembly 101 MB\) · inspector 410 MB \(WebAssembly 231 MB\)$/,
    );
  });

  it('leaves out an engine that does not run', async () => {
    pick = () => undefined;
    await showCompletionMenu({ ...deps, engineMemory: async () => ({}) });
    assert.match(shown.find((item) => item.label.endsWith('Free inspector memory'))?.description ?? '', /^extension host \d+ MB$/);
  });
  /** The labels shown, without their codicons. */
  const labels = () => shown.map((item) => item.label.replace(/^\$\([a-z-]+\) /, ''));
  const itemEnding = (text: string) => shown.find((item) => item.label.endsWith(text));

  beforeEach(() => {
    executed.length = 0;
    executedWith.length = 0;
    errors.length = 0;
    infos.length = 0;
    settings.model = '';
    settings.workspaceValue = undefined;
    settings.updates = [];
    pickOptions.length = 0;
    dialogOptions.length = 0;
    failCommand = undefined;
    openDialog = () => undefined;
    pick = () => undefined;
  });

  it('offers to disable completions while they are on, to enable them while off, and toggles them', async () => {
    let toggled = 0;
    const toggle = async () => void toggled++;
    await showCompletionMenu({ ...deps, toggle });
    assert.equal(labels()[0], 'Disable inline completions');
    pick = (items) => items[0];
    await showCompletionMenu({ ...deps, enabled: () => false, toggle });
    assert.equal(labels()[0], 'Enable inline completions');
    assert.equal(toggled, 1);
  });

  for (const [state, description] of [
    [{ status: 'ready', info: fakeModelInfo({ name: 'tealeaf-code', backend: 'native' }) }, 'tealeaf-code · native'],
    [{ status: 'loading', modelDir: '/m' }, 'loading…'],
    [{ status: 'error', message: 'no onnx/model.onnx' }, 'error'],
    [{ status: 'idle' }, 'not loaded yet'],
  ] as const satisfies readonly (readonly [ModelState, string])[]) {
    it(`describes the model as "${description}" while it is ${state.status}`, async () => {
      await showCompletionMenu({ ...deps, modelState: () => state });
      assert.equal(itemEnding('Choose completion model…')?.description, description);
    });
  }

  it('offers Retry, with the error, only when the model failed to load, and Retry reloads it', async () => {
    await showCompletionMenu(deps);
    assert.equal(itemEnding('Retry loading the model'), undefined);
    let reloaded = 0;
    pick = (items) => items.find((item) => item.label.endsWith('Retry loading the model'));
    await showCompletionMenu({ ...deps, modelState: () => ({ status: 'error', message: 'the file is not ONNX' }), reload: () => void reloaded++ });
    assert.equal(itemEnding('Retry loading the model')?.detail, 'the file is not ONNX');
    assert.equal(reloaded, 1);
  });

  it('offers "Why this suggestion?" only when the last suggestion kept its attention, and explains that one', async () => {
    await showCompletionMenu(deps);
    assert.equal(itemEnding('Why this suggestion?'), undefined);
    const target = { generationId: 7 };
    pick = (items) => items.find((item) => item.label.endsWith('Why this suggestion?'));
    await showCompletionMenu({ ...deps, explainTarget: () => target });
    assert.deepEqual(executedWith, [[COMMANDS.explainCompletion, target]]);
  });

  it('lists its items in order', async () => {
    await showCompletionMenu({ ...deps, modelState: () => ({ status: 'error', message: 'x' }), explainTarget: () => ({}) });
    assert.deepEqual(labels(), [
      'Disable inline completions',
      'Choose completion model…',
      'Download a model from the Hugging Face Hub…',
      'Manage models',
      'Retry loading the model',
      'Open the attention inspector',
      'Free inspector memory',
      'Why this suggestion?',
      'Completion settings',
    ]);
  });

  it('opens the inspector, and the completion settings at their section', async () => {
    pick = (items) => items.find((item) => item.label.endsWith('Open the attention inspector'));
    await showCompletionMenu(deps);
    pick = (items) => items.find((item) => item.label.endsWith('Completion settings'));
    await showCompletionMenu(deps);
    assert.deepEqual(executedWith, [[COMMANDS.inspectAttention], ['workbench.action.openSettings', 'tealeaf.completion']]);
  });

  it('says a command that failed in an error message, and does not throw', async () => {
    failCommand = COMMANDS.manageModels;
    pick = (items) => items.find((item) => item.label.endsWith('Manage models'));
    await showCompletionMenu(deps);
    assert.deepEqual(errors, [`Tealeaf: ${COMMANDS.manageModels} failed`]);
  });

  it('is titled Tealeaf, for inline completions, and says what Manage models and Why this suggestion? are about', async () => {
    await showCompletionMenu({ ...deps, explainTarget: () => ({}) });
    assert.deepEqual(pickOptions, [{ title: 'Tealeaf', placeHolder: 'Inline completions' }]);
    assert.equal(itemEnding('Manage models')?.description, 'bundled and in the Hugging Face cache');
    assert.equal(itemEnding('Why this suggestion?')?.description, 'attention of the last suggestion');
  });

  it('says the extension host’s memory in whole megabytes', () => {
    const mb = 1024 * 1024;
    assert.equal(memoryDescription(150.4 * mb, {}), 'extension host 150 MB');
    assert.equal(
      memoryDescription(99.6 * mb, { main: { rssBytes: 340 * mb, wasmHeapBytes: 101 * mb, arrayBufferBytes: 0 } }),
      'extension host 100 MB · engine 340 MB (WebAssembly 101 MB)',
    );
  });

  describe('Choose completion model…', () => {
    /** An extension folder whose models/ holds tealeaf-code, another decoder, and a folder that is none. */
    function extensionWithModels(): string {
      const root = mkdtempSync(path.join(os.tmpdir(), 'tealeaf-menu-'));
      for (const name of ['tealeaf-code', 'other-coder']) onnxFile(path.join(root, 'models', name), 'model.onnx');
      mkdirSync(path.join(root, 'models', 'tealeaf-translate', 'onnx'), { recursive: true });
      writeFileSync(path.join(root, 'models', 'notes.txt'), '');
      return root;
    }
    /** Writes `dir`/onnx/`file` (empty: only its name counts here). */
    function onnxFile(dir: string, file: string): string {
      mkdirSync(path.join(dir, 'onnx'), { recursive: true });
      writeFileSync(path.join(dir, 'onnx', file), '');
      return dir;
    }
    const chooseItem = (items: readonly PickItem[]) => items.find((item) => item.label.endsWith('Choose completion model…'));
    let models: readonly PickItem[] = [];
    /** Picks Choose completion model…, then `then` among the models. */
    async function choose(extensionPath: string, then: (items: readonly PickItem[]) => PickItem | undefined): Promise<void> {
      let step = 0;
      pick = (items) => {
        step++;
        if (step === 1) return chooseItem(items);
        models = items;
        return then(items);
      };
      await showCompletionMenu({ ...deps, extensionPath });
    }

    it('lists the bundled default, the other bundled decoders, and Browse; the current one is checked', async () => {
      const ext = extensionWithModels();
      await choose(ext, () => undefined);
      assert.deepEqual(
        models.map((m) => [m.label, m.description, m.value]),
        [
          ['$(check) Bundled default', 'tealeaf-code', ''],
          ['other-coder', 'bundled', path.join(ext, 'models', 'other-coder')],
          ['$(folder-opened) Browse for a model folder…', undefined, undefined],
        ],
      );
      assert.deepEqual(settings.updates, [], 'dismissed: nothing written');
    });

    it('is a picker titled for the completion model, whose Browse item says what folder it takes', async () => {
      await choose(extensionWithModels(), () => undefined);
      assert.deepEqual(pickOptions[1], { title: 'Tealeaf: completion model' });
      assert.equal(models.find((m) => m.label.includes('Browse'))?.detail, 'A folder in the transformers.js layout: onnx/model.onnx or one of its dtype variants');
    });

    it('checks the bundled default when no model is set at all', async () => {
      settings.model = undefined;
      await choose(extensionWithModels(), () => undefined);
      assert.deepEqual(
        models.map((m) => m.label),
        ['$(check) Bundled default', 'other-coder', '$(folder-opened) Browse for a model folder…'],
      );
    });

    it('browses with a folder picker labelled "Use this model"; an empty choice or a folder without onnx/model.onnx changes nothing', async () => {
      const ext = extensionWithModels();
      const browse = (items: readonly PickItem[]) => items.find((m) => m.label.includes('Browse'));
      openDialog = () => [];
      await choose(ext, browse);
      assert.deepEqual(dialogOptions, [{ canSelectFolders: true, canSelectFiles: false, openLabel: 'Use this model' }]);
      assert.deepEqual([settings.updates, errors], [[], []]);
      // onnx/ is there, but without the model file.
      const noModel = path.join(ext, 'models', 'tealeaf-translate');
      openDialog = () => [{ fsPath: noModel }];
      await choose(ext, browse);
      assert.deepEqual(settings.updates, []);
      assert.deepEqual(errors, [`Tealeaf: ${noModel} has neither onnx/model.onnx nor any of its dtype variants (a decoder-only model in the transformers.js layout).`]);
    });

    it('lists a model folder of the user’s own, checked when it is the setting', async () => {
      settings.model = '/home/me/my-model';
      await choose(extensionWithModels(), () => undefined);
      assert.deepEqual(models[2]?.label, '$(check) my-model');
      assert.deepEqual(models[2]?.description, '/home/me/my-model');
      assert.equal(models[0]?.label, 'Bundled default');
    });

    it('writes the chosen bundled model, or the default as an empty setting, to the user settings', async () => {
      const ext = extensionWithModels();
      await choose(ext, (items) => items.find((m) => m.label === 'other-coder'));
      settings.model = path.join(ext, 'models', 'other-coder');
      await choose(ext, (items) => items.find((m) => m.label.endsWith('Bundled default')));
      assert.deepEqual(settings.updates, [
        ['model', path.join(ext, 'models', 'other-coder'), 'global'],
        ['model', '', 'global'],
      ]);
      assert.deepEqual(infos, []);
    });

    it('lists only Browse and the default when the extension has no models folder', async () => {
      await choose('/nowhere', () => undefined);
      assert.deepEqual(
        models.map((m) => m.value),
        ['', undefined],
      );
    });

    it('takes a browsed folder with onnx/model.onnx, refuses one without, and does nothing when the dialog is dismissed', async () => {
      const ext = extensionWithModels();
      const browse = (items: readonly PickItem[]) => items.find((m) => m.label.includes('Browse'));
      await choose(ext, browse);
      assert.deepEqual(settings.updates, []);
      const empty = mkdtempSync(path.join(os.tmpdir(), 'tealeaf-menu-empty-'));
      openDialog = () => [{ fsPath: empty }];
      await choose(ext, browse);
      assert.deepEqual(settings.updates, []);
      assert.deepEqual(errors, [`Tealeaf: ${empty} has neither onnx/model.onnx nor any of its dtype variants (a decoder-only model in the transformers.js layout).`]);
      const good = path.join(ext, 'models', 'other-coder');
      openDialog = () => [{ fsPath: good }];
      await choose(ext, browse);
      assert.deepEqual(settings.updates, [['model', good, 'global']]);
    });

    it('takes a folder that has only one weight type, or an older merged decoder, and lists such bundled models', async () => {
      const ext = extensionWithModels();
      onnxFile(path.join(ext, 'models', 'q4-coder'), 'model_q4.onnx');
      const merged = onnxFile(mkdtempSync(path.join(os.tmpdir(), 'tealeaf-menu-merged-')), 'decoder_model_merged_fp16.onnx');
      openDialog = () => [{ fsPath: merged }];
      await choose(ext, (items) => items.find((m) => m.label.includes('Browse')));
      assert.deepEqual([settings.updates, errors], [[['model', merged, 'global']], []]);
      assert.deepEqual(
        models.map((m) => m.label),
        ['$(check) Bundled default', 'other-coder', 'q4-coder', '$(folder-opened) Browse for a model folder…'],
      );
    });

    it('says so when the trusted workspace sets the model itself, which wins over the user setting', async () => {
      settings.workspaceValue = '/workspace/model';
      await choose(extensionWithModels(), (items) => items[0]);
      assert.deepEqual(infos, ['Tealeaf: this workspace sets tealeaf.completion.model, which takes precedence over your user setting.']);
      infos.length = 0;
      Object.assign(stub.workspace, { isTrusted: false });
      try {
        await choose(extensionWithModels(), (items) => items[0]);
      } finally {
        Object.assign(stub.workspace, { isTrusted: true });
      }
      assert.deepEqual(infos, [], 'an untrusted workspace’s setting is not applied, so there is nothing to say');
    });
  });
});
