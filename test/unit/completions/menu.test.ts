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

  it('says the process memory beside Free inspector memory', async () => {
    pick = () => undefined;
    await showCompletionMenu(deps);
    assert.match(shown.find((item) => item.label.endsWith('Free inspector memory'))?.description ?? '', /^extension host and engine: \d+ MB$/);
  });
});
