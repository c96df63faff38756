// Entry point of the inline-completions feature: the provider, the status bar item, the toggle and
// menu commands, and the "why this suggestion?" accessors. Everything it creates is pushed to
// context.subscriptions. Call once from activate(): registerCompletions(context, { models }).
import * as vscode from 'vscode';
import type { ModelProvider } from '../models/types';
import { CompletionStatusBar } from '../statusBar';
import { showCompletionMenu } from './menu';
import { settingsFor, TealeafInlineCompletionProvider } from './provider';
import { CompletionService, type GenerationInputText, type ShownCompletion } from './service';
import { SETTINGS_SECTION } from './settings';
import { errorText } from '../util/unknown';
import { COMMANDS } from '../commands';

export interface CompletionsDeps {
  readonly models: ModelProvider;
  /** Where failures are logged; defaults to a "Tealeaf" log channel of its own. */
  readonly log?: vscode.LogOutputChannel;
}

/** The argument tealeaf.explainCompletion takes (the inspector's ExplainTarget). */
export interface CompletionExplainTarget {
  readonly attentionId: number;
  /** uri.toString() of the document the suggestion was shown in. */
  readonly uri: string;
  /** Document offset where the suggestion's prompt ends. */
  readonly promptEnd: number;
}

export interface CompletionsApi {
  /** The last suggestion returned to the editor (its completion holds the attentionId). */
  lastShownCompletion(): ShownCompletion | undefined;
  /** For tealeaf.explainCompletion: undefined when the last suggestion kept no attention. */
  explainTarget(): CompletionExplainTarget | undefined;
  readonly onDidShowCompletion: vscode.Event<ShownCompletion>;
  /** The text the last generation was given (prompt, and the FIM suffix), shown or not. */
  lastGenerationInput(): GenerationInputText | undefined;
}

export function registerCompletions(context: vscode.ExtensionContext, deps: CompletionsDeps): CompletionsApi {
  const { models } = deps;
  const log = deps.log ?? vscode.window.createOutputChannel('Tealeaf', { log: true });
  if (!deps.log) context.subscriptions.push(log);

  const service = new CompletionService({
    engine: () => models.readyEngine('completion'),
    settings: () => settingsFor(undefined),
  });
  const statusBar = new CompletionStatusBar(COMMANDS.completionMenu);
  const shownEmitter = new vscode.EventEmitter<ShownCompletion>();

  let generating = false;
  let generationError: string | undefined;
  let loadedModelId: string | undefined;
  const loadErrorsShown = new Set<string>();

  const enabled = (): boolean => settingsFor(undefined).enabled;
  const refresh = (): void =>
    statusBar.update({
      enabled: enabled(),
      model: models.state('completion'),
      generating,
      ...(service.lastGeneration ? { stats: service.lastGeneration } : {}),
      ...(generationError !== undefined ? { generationError } : {}),
    });

  /** Starts the model load once; a failure is shown once per message (not per keystroke). */
  const loadModel = (): void => {
    models.engineFor('completion').then(
      () => refresh(),
      (error: unknown) => {
        const message = errorText(error);
        log.error(`completion model failed to load: ${message}`);
        refresh();
        if (loadErrorsShown.has(message)) return;
        loadErrorsShown.add(message);
        void vscode.window.showErrorMessage(`Tealeaf: the completion model could not be loaded: ${message}`, 'Open Menu').then((choice) => {
          if (choice) void vscode.commands.executeCommand(COMMANDS.completionMenu);
        });
      },
    );
  };
  const ensureModel = (): void => {
    // 'loading' is on its way; 'error' waits for a setting change or "Retry" in the menu; 'idle'
    // (or 'ready' whose engine was disposed by a settings reset) loads.
    const status = models.state('completion').status;
    if (status !== 'loading' && status !== 'error') loadModel();
  };

  const provider = new TealeafInlineCompletionProvider({
    models,
    service,
    ensureModel,
    log: (message) => log.error(message),
  });

  const toggle = async (): Promise<void> => {
    const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
    const inspected = config.inspect<boolean>('enabled');
    // Write where the effective value comes from, so the toggle is not masked by a workspace value.
    const target =
      inspected?.workspaceFolderValue !== undefined
        ? vscode.ConfigurationTarget.WorkspaceFolder
        : inspected?.workspaceValue !== undefined
          ? vscode.ConfigurationTarget.Workspace
          : vscode.ConfigurationTarget.Global;
    const next = !enabled();
    await config.update('enabled', next, target);
    void vscode.window.setStatusBarMessage(`Tealeaf inline completions ${next ? 'on' : 'off'}`, 2000);
  };

  const explainTarget = (): CompletionExplainTarget | undefined => {
    const shown = service.lastShownCompletion();
    const attentionId = shown?.completion.attentionId;
    if (!shown || attentionId === undefined) return undefined;
    return {
      attentionId,
      uri: shown.documentKey,
      promptEnd: shown.completion.promptStart + shown.completion.prompt.length,
    };
  };

  context.subscriptions.push(
    service,
    statusBar,
    shownEmitter,
    vscode.languages.registerInlineCompletionItemProvider({ scheme: 'file' }, provider),
    vscode.commands.registerCommand(COMMANDS.toggleCompletions, toggle),
    vscode.commands.registerCommand(COMMANDS.completionMenu, () =>
      showCompletionMenu({
        extensionPath: context.extensionPath,
        enabled,
        modelState: () => models.state('completion'),
        toggle,
        reload: () => {
          loadErrorsShown.clear();
          loadModel();
        },
        explainTarget,
        engineMemory: async () => (await models.engineMemory?.()) ?? {},
      }),
    ),
    service.onDidChangeActivity((busy) => {
      generating = busy;
      refresh();
    }),
    service.onDidGenerate(() => {
      generationError = undefined;
      refresh();
    }),
    service.onDidFail((message) => {
      generationError = message;
      log.error(`completion failed: ${message}`);
      refresh();
      void vscode.window.showWarningMessage(`Tealeaf: inline completion failed: ${message}`);
    }),
    service.onDidShow((shown) => shownEmitter.fire(shown)),
    models.onDidChangeState((change) => {
      if (change.role !== 'completion') return;
      const state = change.state;
      // A different engine: cached suggestions and the prompt's sticky start belong to the old one.
      const id = state.status === 'ready' ? state.info.id : undefined;
      if (state.status !== 'ready' || id !== loadedModelId) service.reset();
      loadedModelId = id;
      generationError = undefined;
      refresh();
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!event.affectsConfiguration(SETTINGS_SECTION)) return;
      if (!enabled()) service.cancel();
      if (event.affectsConfiguration(`${SETTINGS_SECTION}.model`)) loadErrorsShown.clear();
      refresh();
    }),
  );
  refresh();

  return {
    lastShownCompletion: () => service.lastShownCompletion(),
    explainTarget,
    onDidShowCompletion: shownEmitter.event,
    lastGenerationInput: () => service.lastGenerationInput,
  };
}
