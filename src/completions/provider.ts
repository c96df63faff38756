// The thin vscode adapter: turns a document, a position and a CancellationToken into a
// CompletionRequest for the pure CompletionService, and its Suggestion into an InlineCompletionItem.
// Never throws: any failure gives [] (and is logged).
import * as vscode from 'vscode';
import type { ModelProvider } from '../models/types';
import type { CompletionRequest, CompletionService } from './service';
import { isLanguageEnabled, readCompletionSettings, SETTINGS_SECTION, type CompletionSettings } from './settings';

/** Characters of text before the cursor handed to the context builder, per token of budget. */
const WINDOW_CHARS_PER_TOKEN = 6;
/** Characters after the cursor: enough for the FIM suffix budget and the following lines. */
const AFTER_CHARS = 4096;

export interface ProviderDeps {
  readonly models: ModelProvider;
  readonly service: CompletionService;
  /** Starts loading the completion model (once); the provider returns [] meanwhile. */
  readonly ensureModel: () => void;
  readonly log: (message: string) => void;
}

export function settingsFor(scope: vscode.ConfigurationScope | undefined): CompletionSettings {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION, scope);
  return readCompletionSettings((name) => config.get(name));
}

export class TealeafInlineCompletionProvider implements vscode.InlineCompletionItemProvider {
  constructor(private readonly deps: ProviderDeps) {}

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[]> {
    const controller = new AbortController();
    const subscription = token.onCancellationRequested(() => controller.abort());
    try {
      if (document.uri.scheme !== 'file' || token.isCancellationRequested) return [];
      const settings = settingsFor(document);
      if (!settings.enabled || !isLanguageEnabled(settings.languages, document.languageId)) return [];
      if (!this.deps.models.readyEngine('completion')) {
        this.deps.ensureModel();
        return [];
      }

      const selected = context.selectedCompletionInfo;
      const request = buildRequest(document, position, settings, selected, controller.signal);
      const suggestion = await this.deps.service.complete(request, settings);
      if (!suggestion || token.isCancellationRequested) return [];
      // With the suggest widget open, the item must extend the selected entry over its range.
      if (selected) return [new vscode.InlineCompletionItem(selected.text + suggestion.text, selected.range)];
      return [new vscode.InlineCompletionItem(suggestion.text, new vscode.Range(position, position))];
    } catch (error) {
      this.deps.log(`inline completion failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return [];
    } finally {
      subscription.dispose();
    }
  }
}

/** The text around the cursor, windowed so that a long document costs no more than a short one. */
function buildRequest(
  document: vscode.TextDocument,
  position: vscode.Position,
  settings: CompletionSettings,
  selected: vscode.SelectedCompletionInfo | undefined,
  signal: AbortSignal,
): CompletionRequest {
  // With a selected suggest entry, complete as if it were already inserted.
  const anchor = selected ? selected.range.start : position;
  const anchorOffset = document.offsetAt(anchor);
  const windowChars = settings.contextTokens * WINDOW_CHARS_PER_TOKEN;
  let windowStart = document.positionAt(Math.max(0, anchorOffset - windowChars));
  // Start on a line start (the context builder cuts at line boundaries), unless the cursor's own
  // line is longer than the window.
  if (windowStart.character > 0 && windowStart.line < anchor.line) windowStart = new vscode.Position(windowStart.line + 1, 0);
  const before = document.getText(new vscode.Range(windowStart, anchor)) + (selected?.text ?? '');
  const afterEnd = document.positionAt(document.offsetAt(position) + AFTER_CHARS);
  const after = document.getText(new vscode.Range(position, afterEnd));
  const editor = vscode.window.visibleTextEditors.find((e) => e.document === document);
  const tabSize = typeof editor?.options.tabSize === 'number' ? editor.options.tabSize : undefined;
  return {
    documentKey: document.uri.toString(),
    windowStart: document.offsetAt(windowStart),
    before,
    after,
    ...(tabSize ? { tabSize } : {}),
    signal,
  };
}
