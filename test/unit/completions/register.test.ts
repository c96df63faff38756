// The inline-completions feature as activate() wires it, over a stubbed vscode API and a fake model
// provider: what it registers, the toggle writing where the effective value comes from, a failed
// model load said once per message (again after a model change or Retry), no load while one is on
// its way or failed, the status bar following the model, and "why this suggestion?" pointing at
// the suggestion last shown.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type * as vscode from 'vscode';
import { COMMANDS } from '../../../src/commands';
import type { ModelProvider, ModelState, ModelStateChange } from '../../../src/models/types';
import { EventEmitter } from '../vscodeModule';
import { OracleEngine } from './fakeEngine';
import { configuration, FakeDocument, FakeToken, install, stub } from './vscodeStub';

/** What the feature did to the stubbed API. */
const seen = {
  commands: new Map<string, (...args: unknown[]) => unknown>(),
  executed: [] as string[],
  providers: [] as { selector: unknown; provider: vscode.InlineCompletionItemProvider }[],
  errors: [] as string[],
  errorButtons: [] as string[][],
  channels: [] as string[],
  warnings: [] as string[],
  statusMessages: [] as string[],
  logged: [] as string[],
  updates: [] as [string, unknown, unknown][],
  statusTexts: [] as string[],
  configListeners: [] as ((event: { affectsConfiguration(section: string): boolean }) => void)[],
};
/** Where tealeaf.completion.enabled is set, as `inspect` reports it. */
let enabledAt: { workspaceValue?: boolean; workspaceFolderValue?: boolean } = {};
/** The button the next error message's user presses. */
let errorChoice: string | undefined;

install();
Object.assign(stub, {
  EventEmitter,
  ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
  StatusBarAlignment: { Left: 1, Right: 2 },
  MarkdownString: class {
    isTrusted = false;
    constructor(readonly value: string) {}
  },
  ThemeColor: class {
    constructor(readonly id: string) {}
  },
  languages: {
    registerInlineCompletionItemProvider: (selector: unknown, provider: vscode.InlineCompletionItemProvider) => {
      seen.providers.push({ selector, provider });
      return { dispose: () => undefined };
    },
  },
  commands: {
    registerCommand: (id: string, handler: (...args: unknown[]) => unknown) => {
      seen.commands.set(id, handler);
      return { dispose: () => undefined };
    },
    executeCommand: async (id: string) => void seen.executed.push(id),
  },
});
Object.assign(stub.window, {
  createOutputChannel: (name: string) => {
    seen.channels.push(name);
    return { error: (line: string) => void seen.logged.push(line), dispose: () => undefined };
  },
  createStatusBarItem: () => {
    const item = {
      text: '',
      show: () => void seen.statusTexts.push(item.text),
      dispose: () => undefined,
    };
    return item;
  },
  showErrorMessage: async (text: string, ...buttons: string[]) => {
    seen.errors.push(text);
    seen.errorButtons.push(buttons);
    return errorChoice;
  },
  showWarningMessage: async (text: string) => void seen.warnings.push(text),
  setStatusBarMessage: (text: string) => {
    seen.statusMessages.push(text);
    return { dispose: () => undefined };
  },
});
Object.assign(stub.workspace, {
  getConfiguration: () => ({
    get: (name: string) => configuration[name],
    update: async (name: string, value: unknown, target: unknown) => void seen.updates.push([name, value, target]),
    inspect: (name: string) => (name === 'enabled' ? enabledAt : undefined),
  }),
  onDidChangeConfiguration: (listener: (typeof seen.configListeners)[number]) => {
    seen.configListeners.push(listener);
    return { dispose: () => undefined };
  },
});
// Imported after the stub is complete: register.ts and what it imports read 'vscode' at load.
const { registerCompletions } = require('../../../src/completions/register') as typeof import('../../../src/completions/register');

/** A model provider whose state and load the test sets. */
class FakeModels {
  status: ModelState = { status: 'idle' };
  loads = 0;
  /** What the next load does. */
  load: () => Promise<OracleEngine> = () => Promise.reject(new Error('unset'));
  engine: OracleEngine | undefined;
  readonly changes = new EventEmitter<ModelStateChange>();
  readonly onDidChangeState = this.changes.event;
  engineFor(): Promise<OracleEngine> {
    this.loads++;
    return this.load();
  }
  readyEngine(): OracleEngine | undefined {
    return this.engine;
  }
  state(): ModelState {
    return this.status;
  }
  change(state: ModelState): void {
    this.status = state;
    this.changes.fire({ role: 'completion', state });
  }
}

const automatic = { triggerKind: 1, selectedCompletionInfo: undefined } as unknown as vscode.InlineCompletionContext;

function setup(log?: vscode.LogOutputChannel, models = new FakeModels()) {
  const context = { subscriptions: [] as { dispose(): unknown }[], extensionPath: '/nowhere' };
  const deps = { models: models as unknown as ModelProvider, ...(log ? { log } : {}) };
  const api = registerCompletions(context as unknown as vscode.ExtensionContext, deps);
  const provider = seen.providers.at(-1)!.provider;
  /** Asks for a suggestion at the end of `text`, as the editor does while someone types. */
  const ask = async (text: string, doc = new FakeDocument(text)) => {
    const items = await provider.provideInlineCompletionItems(
      doc as unknown as vscode.TextDocument,
      doc.positionAt(text.length) as unknown as vscode.Position,
      automatic,
      new FakeToken() as unknown as vscode.CancellationToken,
    );
    return items as unknown as { insertText: string }[];
  };
  return { models, context, api, ask };
}

/** Lets a load's promise chain (load, log, message) run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('registerCompletions', () => {
  beforeEach(() => {
    for (const list of [seen.executed, seen.providers, seen.errors, seen.errorButtons, seen.channels, seen.warnings, seen.statusMessages, seen.logged, seen.updates, seen.statusTexts, seen.configListeners]) list.length = 0;
    seen.commands.clear();
    enabledAt = {};
    errorChoice = undefined;
    for (const key of Object.keys(configuration)) delete configuration[key];
    configuration.debounceMs = 0;
  });

  it('registers the provider for files, the toggle and menu commands, and shows the status bar', () => {
    const { context } = setup();
    assert.deepEqual(
      seen.providers.map((p) => p.selector),
      [{ scheme: 'file' }],
    );
    assert.deepEqual([...seen.commands.keys()].sort(), [COMMANDS.completionMenu, COMMANDS.toggleCompletions].sort());
    assert.equal(seen.statusTexts.at(-1), '$(sparkle) Tealeaf');
    // The service, the status bar, the event, the provider, two commands, six listeners, and its log.
    assert.equal(context.subscriptions.length, 13);
  });

  for (const [where, at, target] of [
    ['the user settings', {}, 1],
    ['the workspace, which sets it', { workspaceValue: true }, 2],
    ['the workspace folder, which sets it', { workspaceValue: true, workspaceFolderValue: true }, 3],
  ] as const) {
    it(`the toggle turns completions off and on in ${where}`, async () => {
      setup();
      enabledAt = at;
      await seen.commands.get(COMMANDS.toggleCompletions)!();
      configuration.enabled = false;
      await seen.commands.get(COMMANDS.toggleCompletions)!();
      assert.deepEqual(seen.updates, [
        ['enabled', false, target],
        ['enabled', true, target],
      ]);
      assert.deepEqual(seen.statusMessages, ['Tealeaf inline completions off', 'Tealeaf inline completions on']);
    });
  }

  it('loads the model on the first request; a failure is logged each time and said once per message, with the menu a click away', async () => {
    const { models, ask } = setup();
    models.load = () => Promise.reject(new Error('no onnx/model.onnx'));
    errorChoice = 'Open Menu';
    assert.deepEqual(await ask('const a = '), []);
    await settle();
    assert.equal(models.loads, 1);
    assert.deepEqual(seen.errors, ['Tealeaf: the completion model could not be loaded: no onnx/model.onnx']);
    await settle();
    assert.deepEqual(seen.executed, [COMMANDS.completionMenu]);
    await ask('const b = ');
    await settle();
    assert.equal(models.loads, 2, 'still idle: it tries again');
    assert.equal(seen.errors.length, 1, 'the same message is not said twice');
    assert.deepEqual(seen.logged, ['completion model failed to load: no onnx/model.onnx', 'completion model failed to load: no onnx/model.onnx']);
    // A change of the model setting, and the same failure is said again.
    for (const listener of seen.configListeners) listener({ affectsConfiguration: (s) => s === 'tealeaf.completion' || s === 'tealeaf.completion.model' });
    await ask('const c = ');
    await settle();
    assert.equal(seen.errors.length, 2);
  });

  it('does not start a load while one is on its way or after one failed', async () => {
    const { models, ask } = setup();
    models.status = { status: 'loading', modelDir: '/m' };
    await ask('x = ');
    models.status = { status: 'error', message: 'bad' };
    await ask('y = ');
    assert.equal(models.loads, 0);
  });

  it('Retry in the menu forgets the messages said and loads again', async () => {
    const { models, ask } = setup();
    models.load = () => Promise.reject(new Error('broken'));
    await ask('a = ');
    await settle();
    let retry: (() => unknown) | undefined;
    Object.assign(stub.window, {
      showQuickPick: async (items: readonly { label: string; action?: () => unknown }[]) => {
        retry = items.find((item) => item.label.endsWith('Retry loading the model'))?.action;
        return undefined;
      },
    });
    models.status = { status: 'error', message: 'broken' };
    await seen.commands.get(COMMANDS.completionMenu)!();
    assert.ok(retry, 'the menu offers Retry');
    retry();
    await settle();
    assert.equal(models.loads, 2);
    assert.equal(seen.errors.length, 2, 'said again after Retry');
  });

  it('the status bar follows the model; a suggestion from it is shown, and explained by the last one shown', async () => {
    const { models, api, ask } = setup();
    assert.equal(api.explainTarget(), undefined);
    const text = 'function add(a, b) {\n  return a + b;\n}\nfunction add(a, b) {\n  return a';
    const engine = new OracleEngine(`${text} + b;\n}\n`);
    models.engine = engine;
    models.change({ status: 'ready', info: engine.info });
    assert.equal(seen.statusTexts.at(-1), `$(sparkle) Tealeaf · ${engine.info.backend}`);
    const items = await ask(text);
    assert.equal(items[0]?.insertText, ' + b;');
    const shown = api.lastShownCompletion();
    assert.ok(shown);
    assert.deepEqual(api.explainTarget(), {
      attentionId: shown.completion.attentionId,
      uri: 'file:///doc.ts',
      promptEnd: shown.completion.promptStart + shown.completion.prompt.length,
    });
    assert.equal(shown.completion.promptStart + shown.completion.prompt.length, text.length);
    assert.match(seen.statusTexts.at(-1) ?? '', /^\$\(sparkle\) Tealeaf · wasm · \d+ ms/);
    // Another model: the suggestions of the old one are forgotten.
    models.change({ status: 'loading', modelDir: '/other' });
    assert.equal(seen.statusTexts.at(-1), '$(loading~spin) Tealeaf');
    assert.equal(api.lastShownCompletion(), undefined);
  });

  it('a completion that fails is logged, warned about, and shown in the status bar until the next one', async () => {
    const { models, ask } = setup();
    const engine = new OracleEngine('let x = 1;\n');
    const generate = engine.generate.bind(engine);
    let broken = true;
    engine.generate = async (request, options) => {
      if (broken) throw new Error('the session broke');
      return generate(request, options);
    };
    models.engine = engine;
    models.change({ status: 'ready', info: engine.info });
    await ask('let x = ');
    await settle();
    assert.deepEqual(seen.warnings, ['Tealeaf: inline completion failed: the session broke']);
    assert.ok(seen.logged.includes('completion failed: the session broke'));
    assert.equal(seen.statusTexts.at(-1), '$(error) Tealeaf · wasm');
    broken = false;
    assert.equal((await ask('let x = '))[0]?.insertText, '1;');
    assert.match(seen.statusTexts.at(-1) ?? '', /^\$\(sparkle\) Tealeaf · wasm · \d+ ms/);
  });

  it('logs to its own "Tealeaf" channel; a log the caller gives is used instead and left to the caller', async () => {
    setup();
    assert.deepEqual(seen.channels, ['Tealeaf']);
    seen.channels.length = 0;
    const given: string[] = [];
    const log = { error: (line: string) => void given.push(line), dispose: () => undefined } as unknown as vscode.LogOutputChannel;
    const models = new FakeModels();
    models.engine = new OracleEngine('let a = 1;\n');
    const { context, ask } = setup(log, models);
    assert.deepEqual(seen.channels, []);
    assert.equal(context.subscriptions.length, 12);
    assert.ok(!context.subscriptions.includes(log));
    // A failure inside the provider goes to that log.
    const doc = new FakeDocument('let a = ');
    doc.getText = () => {
      throw new Error('document closed');
    };
    assert.deepEqual(await ask('let a = ', doc), []);
    assert.equal(given.length, 1);
    assert.match(given[0] ?? '', /^inline completion failed: Error: document closed/);
  });

  it('the load error offers the menu; dismissing it opens nothing', async () => {
    const { models, ask } = setup();
    models.load = () => Promise.reject(new Error('no onnx/model.onnx'));
    await ask('const a = ');
    await settle();
    await settle();
    assert.deepEqual(seen.errorButtons, [['Open Menu']]);
    assert.deepEqual(seen.executed, []);
  });

  it('a load error is said again after a change of the model setting only', async () => {
    const { models, ask } = setup();
    models.load = () => Promise.reject(new Error('no onnx/model.onnx'));
    const change = (setting: string) => {
      for (const listener of seen.configListeners) listener({ affectsConfiguration: (s) => s === 'tealeaf.completion' || s === `tealeaf.completion.${setting}` });
    };
    await ask('const a = ');
    await settle();
    change('debounceMs');
    await ask('const b = ');
    await settle();
    assert.equal(seen.errors.length, 1);
    change('model');
    await ask('const c = ');
    await settle();
    assert.equal(seen.errors.length, 2);
  });

  it('the status bar spins while a suggestion is generated, and settles on its latency', async () => {
    const { models, ask } = setup();
    const engine = new OracleEngine('let x = 1;\n');
    models.engine = engine;
    models.change({ status: 'ready', info: engine.info });
    const before = seen.statusTexts.length;
    await ask('let x = ');
    const during = seen.statusTexts.slice(before);
    assert.equal(during[0], '$(sync~spin) Tealeaf · wasm');
    assert.match(during.at(-1) ?? '', /^\$\(sparkle\) Tealeaf · wasm · \d+ ms/);
  });

  it('each suggestion shown is announced, and the text its generation was given is kept', async () => {
    const { models, api, ask } = setup();
    const engine = new OracleEngine('let x = 1;\n');
    models.engine = engine;
    models.change({ status: 'ready', info: engine.info });
    const shown: string[] = [];
    api.onDidShowCompletion((completion) => shown.push(completion.shownText));
    await ask('let x = ');
    assert.deepEqual(shown, ['1;']);
    assert.deepEqual(api.lastGenerationInput(), { prompt: 'let x =' });
  });

  describe('which model changes forget the suggestions shown', () => {
    /** A suggestion shown by a ready model, then `change`: is it still the last one shown? */
    const keptAfter = async (change: (models: FakeModels, engine: OracleEngine) => void, readyBefore = true) => {
      const models = new FakeModels();
      const engine = new OracleEngine('let x = 1;\n');
      models.engine = engine;
      const { api, ask } = setup(undefined, models);
      if (readyBefore) models.change({ status: 'ready', info: engine.info });
      await ask('let x = ');
      assert.ok(api.lastShownCompletion(), 'a suggestion was shown');
      change(models, engine);
      return api.lastShownCompletion() !== undefined;
    };

    it('the same model ready again (reloaded on another backend): kept', async () => {
      assert.equal(await keptAfter((models, engine) => models.change({ status: 'ready', info: { ...engine.info, backend: 'native' } })), true);
    });
    it('another model ready: forgotten', async () => {
      assert.equal(await keptAfter((models, engine) => models.change({ status: 'ready', info: { ...engine.info, id: '/other/model' } })), false);
    });
    it('the model loading again, even one ready before the feature started: forgotten', async () => {
      assert.equal(await keptAfter((models) => models.change({ status: 'loading', modelDir: '/m' })), false);
      assert.equal(await keptAfter((models) => models.change({ status: 'loading', modelDir: '/m' }), false), false);
    });
    it('the translation model changing: kept', async () => {
      assert.equal(await keptAfter((models) => models.changes.fire({ role: 'translation', state: { status: 'loading', modelDir: '/mt' } })), true);
    });
  });

  it('turning completions off cancels the request waiting for its debounce; another setting change does not', async () => {
    const { models, ask } = setup();
    const engine = new OracleEngine('let x = 1;\nlet y = 2;\n');
    models.engine = engine;
    models.change({ status: 'ready', info: engine.info });
    configuration.debounceMs = 20;
    const change = (setting: string) => {
      for (const listener of seen.configListeners) listener({ affectsConfiguration: (s) => s === 'tealeaf.completion' || s === `tealeaf.completion.${setting}` });
    };
    // Each change comes while the request waits (synchronously after it was made).
    const kept = ask('let x = ');
    change('multiline');
    assert.equal((await kept)[0]?.insertText, '1;');
    const dropped = ask('let x = 1;\nlet y = ');
    configuration.enabled = false;
    change('enabled');
    assert.deepEqual(await dropped, []);
    assert.equal(engine.requests.length, 1);
  });
});
