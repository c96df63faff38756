// The attention inspector feature: commands, the panel's life cycle (with restore after reload),
// editor shading and cursor sync. Entry point: registerInspector(context, deps). Where the
// attention is computed and what reaches the host: docs/architecture.md, "An inspection".
import { describeModel } from '../engine/modelFacts';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Engine } from '../engine/types';
import type { ModelProvider } from '../models/types';
import { isPersistedState, keyTokensOf, type HighlightMessage, type PersistedSource } from '../protocol/inspector';
import { FOLLOW_SELECTION_DEBOUNCE_MS, readInspectorSettings, type InspectorSettings } from './config';
import { textWithContext, tokenAt } from './context';
import { AttentionShading } from './decorations';
import { INSPECTOR_VIEW_TYPE, InspectorPanel } from './panel';
import { inspectGeneration, inspectText, inspectTranslation, type EditorLink, type InspectorSession } from './session';
import { createViewCache, keepOnlyDocument } from './viewCache';
import { errorText } from '../util/unknown';
import { COMMANDS } from '../commands';

/** Which completion "why this suggestion?" explains. */
export interface ExplainTarget {
  readonly attentionId: number;
  /** Document the completion was made in (uri.toString()), and where its prompt ends there. */
  readonly uri?: string;
  readonly promptEnd?: number;
}

export interface InspectorDeps {
  readonly models: ModelProvider;
  /** The last shown inline completion (the completions feature), for "why this suggestion?". */
  readonly lastCompletion?: () => ExplainTarget | undefined;
  /** Gives back the engine memory the inspector alone uses (its worker stops), when the panel closes. */
  readonly releaseEngineMemory?: () => Promise<void>;
}

export interface InspectOutcome {
  readonly docId: number;
  /** Query tokens of the first section. */
  readonly tokens: number;
  readonly forwardMs: number;
  /** Command → the document posted to the webview (engine and session building, host clock). */
  readonly documentMs: number;
  /** Command → first paint in the webview (host clock, includes the message's trip back). */
  readonly firstPaintMs: number | undefined;
}

export interface InspectorApi {
  /** What tealeaf.inspectAttention does, for the active editor's selection. */
  inspectSelection(): Promise<InspectOutcome | undefined>;
  explain(target?: ExplainTarget): Promise<InspectOutcome | undefined>;
  showTranslation(attentionId: number): Promise<InspectOutcome | undefined>;
  /** Fires after each document's first paint (the bench's command → first paint). */
  readonly onDidFirstPaint: vscode.Event<InspectOutcome>;
}

/**
 * Registers the inspector's commands, panel serializer and listeners; everything it creates is
 * pushed to context.subscriptions. Call once from activate().
 */
export function registerInspector(context: vscode.ExtensionContext, deps: InspectorDeps): InspectorApi {
  const controller = new InspectorController(context.extensionUri, deps);
  context.subscriptions.push(
    controller,
    vscode.commands.registerCommand(COMMANDS.inspectAttention, () => controller.inspectSelection()),
    vscode.commands.registerCommand(COMMANDS.freeInspectorMemory, () => controller.freeMemory()),
    vscode.commands.registerCommand(COMMANDS.explainCompletion, (arg?: unknown) => controller.explain(toExplainTarget(arg))),
    vscode.commands.registerCommand(COMMANDS.inspectTranslation, (arg?: unknown) =>
      typeof arg === 'number' ? controller.showTranslation(arg) : undefined,
    ),
    vscode.window.registerWebviewPanelSerializer(INSPECTOR_VIEW_TYPE, {
      deserializeWebviewPanel: (panel, state) => controller.restore(panel, state),
    }),
    vscode.window.onDidChangeTextEditorSelection((e) => controller.selectionChanged(e)),
  );
  return controller;
}

function toExplainTarget(arg: unknown): ExplainTarget | undefined {
  if (typeof arg === 'number' && Number.isInteger(arg)) return { attentionId: arg };
  if (typeof arg === 'object' && arg !== null && 'attentionId' in arg) {
    const a = arg as { attentionId: unknown; uri?: unknown; promptEnd?: unknown };
    if (typeof a.attentionId !== 'number') return undefined;
    return {
      attentionId: a.attentionId,
      ...(typeof a.uri === 'string' ? { uri: a.uri } : {}),
      ...(typeof a.promptEnd === 'number' ? { promptEnd: a.promptEnd } : {}),
    };
  }
  return undefined;
}

class InspectorController implements InspectorApi, vscode.Disposable {
  private panel: InspectorPanel | undefined;
  private readonly shading = new AttentionShading();
  private readonly firstPaint = new vscode.EventEmitter<InspectOutcome>();
  readonly onDidFirstPaint = this.firstPaint.event;
  private docCounter = 0;
  /** Latest request wins: an older run that finishes later is dropped. */
  private runCounter = 0;
  private followTimer: ReturnType<typeof setTimeout> | undefined;
  /** The shown document's views, within tealeaf.inspector.memoryBudgetMB; emptied when the panel closes. */
  private readonly views = createViewCache(this.settings().memoryBudgetMB);
  private readonly configListener = vscode.workspace.onDidChangeConfiguration((event) => {
    if (event.affectsConfiguration('tealeaf.inspector.memoryBudgetMB')) this.views.resize(this.settings().memoryBudgetMB * 1024 * 1024);
  });

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly deps: InspectorDeps,
  ) {}

  /**
   * Gives back what the inspector holds: the views the panel keeps and the inspector's own engine
   * worker, if it has one (the command and the status bar menu's item). What the panel shows next
   * is computed again.
   */
  async freeMemory(): Promise<void> {
    this.views.clear();
    await this.deps.releaseEngineMemory?.();
  }

  private settings(): InspectorSettings {
    const config = vscode.workspace.getConfiguration('tealeaf.inspector');
    return readInspectorSettings((key) => config.get(key));
  }

  private ensurePanel(): InspectorPanel {
    if (this.panel) {
      this.panel.reveal();
      return this.panel;
    }
    this.panel = InspectorPanel.create(this.extensionUri, this.panelEvents());
    return this.panel;
  }

  private panelEvents(): ConstructorParameters<typeof InspectorPanel>[2] {
    return {
      highlight: (session, message) => this.highlight(session, message),
      disposed: () => {
        this.panel = undefined;
        this.shading.clear();
        void this.freeMemory();
      },
    };
  }

  async inspectSelection(): Promise<InspectOutcome | undefined> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage('Tealeaf: open a file and select some text to inspect its attention.');
      return undefined;
    }
    const doc = editor.document;
    // An empty selection inspects the cursor's line.
    const range = editor.selection.isEmpty ? doc.lineAt(editor.selection.active.line).range : editor.selection;
    return this.inspectRange(doc, doc.offsetAt(range.start), doc.offsetAt(range.end), true);
  }

  private async inspectRange(doc: vscode.TextDocument, start: number, end: number, interactive: boolean): Promise<InspectOutcome | undefined> {
    const run = ++this.runCounter;
    const started = Date.now();
    const panel = this.ensurePanel();
    if (end <= start) {
      panel.status('empty', 'Nothing to inspect here: select some text and run “Tealeaf: Inspect Attention”.');
      return undefined;
    }
    panel.status('loading', 'Running the model on the selection…');
    try {
      const engine = await this.deps.models.engineFor('inspector');
      const settings = this.settings();
      const text = doc.getText();
      const inspected = await textWithContext(text, start, end, settings.contextTokens, settings.maxTokens, (t) => engine.tokenize(t));
      const startLine = doc.positionAt(start).line + 1;
      const endLine = doc.positionAt(end).line + 1;
      const source: PersistedSource = { kind: 'selection', uri: doc.uri.toString(), start, end };
      const session = await inspectText(
        engine,
        {
          text: inspected.text,
          maxTokens: settings.maxTokens,
          link: { uri: doc.uri.toString(), base: inspected.base },
          precutCharacters: inspected.precutCharacters,
          views: this.views,
        },
        {
          docId: ++this.docCounter,
          title: `${path.basename(doc.uri.path)}:${startLine}${endLine !== startLine ? `–${endLine}` : ''}`,
          modelName: engine.info.name, modelFacts: describeModel(engine.info),
          source,
        },
      );
      if (run !== this.runCounter) return undefined; // a newer request replaced this one
      return await this.present(panel, session, started);
    } catch (error) {
      if (run !== this.runCounter) return undefined;
      panel.status('error', errorText(error));
      if (interactive) void vscode.window.showErrorMessage(`Tealeaf: ${errorText(error)}`);
      return undefined;
    }
  }

  private async present(panel: InspectorPanel, session: InspectorSession, started: number): Promise<InspectOutcome> {
    this.shading.clear();
    // The panel shows one document: views of the ones it replaced could never be asked for again
    // (the soak of 1,000 completions and 100 inspections grew the host by the whole budget).
    keepOnlyDocument(this.views, session.docId);
    const posted = Date.now();
    const paintedAt = await panel.show(session);
    const outcome: InspectOutcome = {
      docId: session.docId,
      tokens: session.document.sections[0]?.queryTokens.length ?? 0,
      forwardMs: session.document.forwardMs,
      documentMs: posted - started,
      firstPaintMs: paintedAt !== undefined && Number.isFinite(paintedAt) ? paintedAt - started : undefined,
    };
    if (outcome.firstPaintMs !== undefined) this.firstPaint.fire(outcome);
    return outcome;
  }

  async explain(target?: ExplainTarget): Promise<InspectOutcome | undefined> {
    const wanted = target ?? this.deps.lastCompletion?.();
    if (!wanted) {
      void vscode.window.showInformationMessage('Tealeaf: no suggestion to explain yet. Let an inline suggestion appear first.');
      return undefined;
    }
    const run = ++this.runCounter;
    const started = Date.now();
    const panel = this.ensurePanel();
    try {
      const engine = this.deps.models.readyEngine('completion') ?? (await this.deps.models.engineFor('completion'));
      const ga = await engine.generationAttention(wanted.attentionId);
      if (!ga) {
        panel.status('empty', 'That suggestion’s attention is no longer held: only the latest suggestion’s is kept.');
        return undefined;
      }
      const link = this.generationLink(wanted, ga.contextText);
      const session = inspectGeneration(
        ga,
        { docId: ++this.docCounter, title: `Why “${ga.generatedText.trim().slice(0, 40)}”`, modelName: engine.info.name },
        link,
      );
      if (run !== this.runCounter) return undefined;
      return await this.present(panel, session, started);
    } catch (error) {
      if (run !== this.runCounter) return undefined;
      panel.status('error', errorText(error));
      void vscode.window.showErrorMessage(`Tealeaf: ${errorText(error)}`);
      return undefined;
    }
  }

  /** Links the prompt to the document only when the text before promptEnd really is the prompt. */
  private generationLink(target: ExplainTarget, contextText: string): EditorLink | undefined {
    if (target.uri === undefined || target.promptEnd === undefined) return undefined;
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === target.uri);
    if (!doc) return undefined;
    const base = target.promptEnd - contextText.length;
    if (base < 0) return undefined;
    const there = doc.getText(new vscode.Range(doc.positionAt(base), doc.positionAt(target.promptEnd)));
    return there === contextText ? { uri: target.uri, base, length: contextText.length } : undefined;
  }

  async showTranslation(attentionId: number): Promise<InspectOutcome | undefined> {
    const run = ++this.runCounter;
    const started = Date.now();
    const panel = this.ensurePanel();
    try {
      const engine: Engine = this.deps.models.readyEngine('translation') ?? (await this.deps.models.engineFor('translation'));
      const ta = await engine.translationAttention(attentionId);
      if (!ta) {
        panel.status('empty', 'That translation’s attention is no longer held: only the latest is kept.');
        return undefined;
      }
      // Encoder self-attention of the source, when the engine offers it for this model.
      const encoder = await engine.attention({ text: ta.sourceText, withStats: true }).catch(() => undefined);
      const session = inspectTranslation(
        ta,
        { docId: ++this.docCounter, title: `Translation: “${ta.sourceText.trim().slice(0, 40)}”`, modelName: engine.info.name },
        encoder && encoder.tokens.length === ta.sourceTokens.length ? encoder : undefined,
      );
      if (run !== this.runCounter) return undefined;
      return await this.present(panel, session, started);
    } catch (error) {
      if (run !== this.runCounter) return undefined;
      panel.status('error', errorText(error));
      return undefined;
    }
  }

  /** The serializer hands back a panel after a window reload: adopt it and inspect again. */
  async restore(webviewPanel: vscode.WebviewPanel, state: unknown): Promise<void> {
    this.panel?.dispose();
    const panel = new InspectorPanel(webviewPanel, this.extensionUri, this.panelEvents());
    this.panel = panel;
    const source = isPersistedState(state) ? state.source : undefined;
    if (!source) {
      panel.status('empty', 'Select some text and run “Tealeaf: Inspect Attention”.');
      return;
    }
    try {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(source.uri));
      const length = doc.getText().length;
      await this.inspectRange(doc, Math.min(source.start, length), Math.min(source.end, length), false);
    } catch (error) {
      panel.status('error', `Could not restore the inspected text: ${errorText(error)}`);
    }
  }

  selectionChanged(e: vscode.TextEditorSelectionChangeEvent): void {
    const panel = this.panel;
    if (!panel) return;
    const selection = e.selections[0];
    if (!selection) return;
    if (!selection.isEmpty && this.settings().followSelection) {
      // Follow the selection, debounced: dragging fires many events.
      clearTimeout(this.followTimer);
      const editor = e.textEditor;
      this.followTimer = setTimeout(() => {
        const doc = editor.document;
        const current = editor.selection;
        if (!current.isEmpty) void this.inspectRange(doc, doc.offsetAt(current.start), doc.offsetAt(current.end), false);
      }, FOLLOW_SELECTION_DEBOUNCE_MS);
      return;
    }
    // Cursor → token: select the token under the cursor in the panel.
    const session = panel.current;
    if (!session) return;
    const uri = e.textEditor.document.uri.toString();
    const offset = e.textEditor.document.offsetAt(selection.active);
    for (const section of session.allSections()) {
      const link = section.link;
      if (!link || link.uri !== uri) continue;
      const relative = offset - link.base;
      if (relative < 0 || relative > link.length) continue;
      const index = tokenAt(section.summary.queryTokens, relative);
      if (index >= 0) panel.post({ type: 'selectToken', docId: session.docId, sectionId: section.summary.id, index });
    }
  }

  private highlight(session: InspectorSession, message: HighlightMessage): void {
    const section = session.allSections().find((s) => s.summary.id === message.sectionId);
    const link = section?.link;
    if (!section || !link || message.query === null || message.weights === null) {
      this.shading.clear();
      return;
    }
    const s = section.summary;
    this.shading.apply(link, keyTokensOf(s), message.weights, s.queryTokens[message.query], message.pin);
  }

  dispose(): void {
    clearTimeout(this.followTimer);
    this.configListener.dispose();
    this.panel?.dispose();
    this.shading.dispose();
    this.firstPaint.dispose();
  }
}
