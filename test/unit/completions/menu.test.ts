// The status bar menu offers the Hub's commands beside the model choice, and each item runs its
// command: picked through a stubbed quick pick, the command that ran is recorded.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { COMMANDS } from '../../../src/commands';
import { install, stub } from './vscodeStub';

interface PickItem {
  readonly label: string;
  readonly description?: string;
}

const executed: string[] = [];
let pick: (items: readonly PickItem[]) => PickItem | undefined = () => undefined;
let shown: readonly PickItem[] = [];

describe('status bar menu', () => {
  let showCompletionMenu: typeof import('../../../src/completions/menu').showCompletionMenu;
  before(async () => {
    install();
    Object.assign(stub.window, {
      showQuickPick: async (items: readonly PickItem[]) => {
        shown = items;
        return pick(items);
      },
      showErrorMessage: async () => undefined,
    });
    Object.assign(stub, { commands: { executeCommand: async (command: string) => void executed.push(command) } });
    ({ showCompletionMenu } = await import('../../../src/completions/menu'));
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
});
