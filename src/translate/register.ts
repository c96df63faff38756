// The vscode adapter for translation: three commands, settings, a cancellable progress
// notification, and the edit. All decisions live in command.ts (pure, tested with fakes).
import * as vscode from 'vscode';
import type { TranslationPair } from '../engine/types';
import type { ModelProvider } from '../models/types';
import {
  outcomeMessage,
  runTranslateCommand,
  type ProgressSink,
  type Replacement,
  type TranslateJob,
  type TranslatePorts,
  type WriteResult,
} from './command';
import { pairLabel, pairsOf } from './pairs';
import { describeReport } from './unitGuarantee';
import { errorText } from '../util/unknown';
import { COMMANDS } from '../commands';

type Output = 'replace' | 'beside';

interface TranslateSettings {
  readonly codeAware: boolean;
  readonly beams: number;
  readonly output: Output;
}

function readSettings(scope: vscode.Uri): TranslateSettings {
  const config = vscode.workspace.getConfiguration('tealeaf.translate', scope);
  const beams = Math.max(1, Math.min(16, Math.floor(config.get<number>('beams', 4))));
  return {
    codeAware: config.get<boolean>('codeAware', true),
    beams,
    output: config.get<Output>('output', 'replace') === 'beside' ? 'beside' : 'replace',
  };
}

/** Where the command reports attention ids and placeholder repairs. */
type TranslationSinks = Pick<TranslatePorts, 'onAttention' | 'onRepair'>;

/** `log` gets a line for every sentence whose placeholders were repaired. */
export function registerTranslation(context: vscode.ExtensionContext, models: ModelProvider, log?: vscode.LogOutputChannel): void {
  // Attention id of the last translated sentence; the engine holds only the latest one.
  let lastAttention: number | undefined;
  const onAttention = (id: number) => {
    lastAttention = id;
  };
  const sinks: TranslationSinks = { onAttention, ...(log ? { onRepair: (report) => log.warn(`translation: ${describeReport(report)}`) } : {}) };
  context.subscriptions.push(
    vscode.commands.registerTextEditorCommand(COMMANDS.translateToGerman, (editor) =>
      translateEditor(editor, models, { from: 'en', to: 'de' }, sinks),
    ),
    vscode.commands.registerTextEditorCommand(COMMANDS.translateToEnglish, (editor) =>
      translateEditor(editor, models, { from: 'de', to: 'en' }, sinks),
    ),
    vscode.commands.registerTextEditorCommand(COMMANDS.translate, async (editor) => {
      const pair = await pickPair(models);
      if (pair !== undefined) await translateEditor(editor, models, pair, sinks);
    }),
    vscode.commands.registerCommand(COMMANDS.showTranslationAttention, async () => {
      if (lastAttention === undefined) {
        void vscode.window.showInformationMessage('Tealeaf: translate a selection first; its cross-attention then opens here.');
        return;
      }
      await vscode.commands.executeCommand(COMMANDS.inspectTranslation, lastAttention);
    }),
  );
}

async function pickPair(models: ModelProvider): Promise<TranslationPair | undefined> {
  let pairs: TranslationPair[];
  try {
    const engine = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Tealeaf: loading the translation model' },
      () => models.engineFor('translation'),
    );
    pairs = pairsOf(engine.info);
  } catch (error) {
    void vscode.window.showErrorMessage(`Tealeaf: the translation model could not be loaded: ${errorText(error)}`);
    return undefined;
  }
  if (pairs.length === 0) {
    void vscode.window.showErrorMessage('Tealeaf: the translation model declares no languages.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    pairs.map((pair) => ({ label: pairLabel(pair), description: `${pair.from} → ${pair.to}`, pair })),
    { title: 'Tealeaf: Translate Selection', placeHolder: 'Translate from … to …' },
  );
  return picked?.pair;
}

async function translateEditor(
  editor: vscode.TextEditor,
  models: ModelProvider,
  pair: TranslationPair,
  sinks: TranslationSinks,
): Promise<void> {
  const document = editor.document;
  const settings = readSettings(document.uri);
  const version = document.version;
  const ranges = editor.selections.map((s) => new vscode.Range(s.start, s.end));
  const job: TranslateJob = {
    document: document.getText(),
    languageId: document.languageId,
    selections: ranges.map((r) => ({ start: document.offsetAt(r.start), end: document.offsetAt(r.end) })),
    pair,
    beams: settings.beams,
    codeAware: settings.codeAware,
  };
  const ports: TranslatePorts = {
    ...sinks,
    engine: () => models.engineFor('translation'),
    withProgress,
    write: (replacements) =>
      settings.output === 'beside' ? showBeside(document, replacements) : replaceInEditor(editor, version, replacements),
  };
  const outcome = await runTranslateCommand(job, ports);
  const message = outcomeMessage(outcome);
  if (message === undefined) return;
  const show =
    message.level === 'error'
      ? vscode.window.showErrorMessage
      : message.level === 'warning'
        ? vscode.window.showWarningMessage
        : vscode.window.showInformationMessage;
  void show(message.text);
}

async function withProgress<T>(title: string, task: (progress: ProgressSink, signal: AbortSignal) => Promise<T>): Promise<T> {
  return await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (progress, token) => {
      const controller = new AbortController();
      const subscription = token.onCancellationRequested(() => controller.abort());
      let reported = 0;
      const sink: ProgressSink = (fraction, message) => {
        // VS Code's progress takes increments in percent.
        const percent = Math.max(0, Math.min(100, fraction * 100));
        progress.report({ increment: Math.max(0, percent - reported), message });
        reported = Math.max(reported, percent);
      };
      try {
        return await task(sink, controller.signal);
      } finally {
        subscription.dispose();
      }
    },
  );
}

/** Replaces every selection in one edit, so one undo restores the original. */
async function replaceInEditor(editor: vscode.TextEditor, version: number, replacements: readonly Replacement[]): Promise<WriteResult> {
  const document = editor.document;
  if (document.isClosed || document.version !== version) return 'document-changed';
  const ranges = replacements.map((r) => new vscode.Range(document.positionAt(r.span.start), document.positionAt(r.span.end)));
  try {
    const applied = await editor.edit(
      (builder) => replacements.forEach((r, i) => builder.replace(ranges[i] as vscode.Range, r.text)),
      { undoStopBefore: true, undoStopAfter: true },
    );
    if (applied) return 'written';
  } catch {
    // The editor was closed or hidden meanwhile: edit the document itself (still one undo step).
  }
  if (document.version !== version) return 'document-changed';
  const edit = new vscode.WorkspaceEdit();
  replacements.forEach((r, i) => edit.replace(document.uri, ranges[i] as vscode.Range, r.text));
  return (await vscode.workspace.applyEdit(edit)) ? 'written' : 'document-changed';
}

async function showBeside(source: vscode.TextDocument, replacements: readonly Replacement[]): Promise<WriteResult> {
  const content = replacements.map((r) => r.text).join('\n\n');
  const document = await vscode.workspace.openTextDocument({ content, language: source.languageId });
  await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preview: false });
  return 'written';
}
