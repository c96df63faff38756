// The vscode API pieces the translation adapter (src/translate/register.ts) touches, for unit tests
// (the real `vscode` module exists only inside VS Code). install() must run before register.ts is
// imported. Records what the adapter did: edits (and their options), workspace edits, messages,
// progress and its options, quick picks, documents opened beside.
import { installVscodeStub, Position, Range } from '../vscodeModule';

export { Position, Range };

export class Selection extends Range {}

/** The document behind each uri, for workspace edits. */
const documentsByUri = new WeakMap<object, FakeDocument>();

/** A TextDocument over a string (LF line breaks) whose edits bump the version. */
export class FakeDocument {
  readonly uri = { scheme: 'file', toString: () => 'file:///doc' };
  version = 1;
  isClosed = false;

  constructor(
    public text: string,
    readonly languageId = 'plaintext',
  ) {
    documentsByUri.set(this.uri, this);
  }

  getText(): string {
    return this.text;
  }

  offsetAt(position: Position): number {
    const lines = this.text.split('\n');
    let offset = 0;
    for (let i = 0; i < position.line; i++) offset += (lines[i] as string).length + 1;
    return offset + position.character;
  }

  positionAt(offset: number): Position {
    const before = this.text.slice(0, offset).split('\n');
    return new Position(before.length - 1, (before[before.length - 1] as string).length);
  }

  /** Applies replacements (document offsets) back to front, as one change. */
  apply(replacements: readonly { start: number; end: number; text: string }[]): void {
    let text = this.text;
    for (const r of [...replacements].sort((a, b) => b.start - a.start)) text = text.slice(0, r.start) + r.text + text.slice(r.end);
    this.text = text;
    this.version += 1;
  }
}

type EditOptions = { undoStopBefore: boolean; undoStopAfter: boolean };

export class FakeEditor {
  /** Each call is one edit, i.e. one undo step. */
  readonly edits: { start: number; end: number; text: string }[][] = [];
  /** The options of each edit() call, applied or not. */
  readonly editOptions: (EditOptions | undefined)[] = [];
  /** How edit() fails: 'refused' resolves false, 'closed' rejects (the editor went away); undefined applies. */
  editFailure: 'refused' | 'closed' | undefined = undefined;
  /** Runs when edit() is called, before it applies or fails (the user typing meanwhile). */
  onEdit: (() => void) | undefined = undefined;

  constructor(
    readonly document: FakeDocument,
    public selections: Selection[],
  ) {}

  async edit(build: (builder: { replace(range: Range, text: string): void }) => void, options?: EditOptions): Promise<boolean> {
    this.editOptions.push(options);
    this.onEdit?.();
    if (this.editFailure === 'closed') throw new Error('TextEditor#edit not possible on closed editors');
    if (this.editFailure === 'refused') return false;
    const replacements: { start: number; end: number; text: string }[] = [];
    build({
      replace: (range, text) => replacements.push({ start: this.document.offsetAt(range.start), end: this.document.offsetAt(range.end), text }),
    });
    this.edits.push(replacements);
    this.document.apply(replacements);
    return true;
  }
}

/** vscode.WorkspaceEdit: replacements by uri, applied by workspace.applyEdit. */
class WorkspaceEdit {
  readonly replacements: { uri: object; range: Range; text: string }[] = [];
  replace(uri: object, range: Range, text: string): void {
    this.replacements.push({ uri, range, text });
  }
}

type EditorCommand = (editor: FakeEditor) => Promise<void>;

export const recorded = {
  commands: new Map<string, EditorCommand>(),
  plainCommands: new Map<string, () => unknown>(),
  executed: [] as { id: string; args: unknown[] }[],
  messages: [] as { level: string; text: string }[],
  progress: [] as { increment?: number; message?: string }[],
  progressOptions: [] as { location: number; title?: string; cancellable?: boolean }[],
  /** Cancellation listeners still subscribed (disposing one removes it). */
  cancelListeners: 0,
  /** Each applied workspace edit: the replacements it made at once (one undo step). */
  workspaceEdits: [] as { start: number; end: number; text: string }[][],
  opened: [] as { content: string; language: string }[],
  shownBeside: 0,
  shownOptions: [] as unknown[],
  quickPickLabels: [] as string[],
  quickPickDescriptions: [] as (string | undefined)[],
  quickPickOptions: [] as unknown[],
  /** What the next quick pick returns: the index of an item, or undefined for Escape. */
  quickPickChoice: 0 as number | undefined,
  /** Press Cancel on the progress notification after this many reports. */
  cancelAfterReports: undefined as number | undefined,
  configuration: {} as Record<string, unknown>,
};

export function reset(): void {
  recorded.executed.length = 0;
  recorded.messages.length = 0;
  recorded.progress.length = 0;
  recorded.progressOptions.length = 0;
  recorded.cancelListeners = 0;
  recorded.workspaceEdits.length = 0;
  recorded.opened.length = 0;
  recorded.shownBeside = 0;
  recorded.shownOptions.length = 0;
  recorded.quickPickLabels.length = 0;
  recorded.quickPickDescriptions.length = 0;
  recorded.quickPickOptions.length = 0;
  recorded.quickPickChoice = 0;
  recorded.cancelAfterReports = undefined;
  for (const key of Object.keys(recorded.configuration)) delete recorded.configuration[key];
}

const message = (level: string) => async (text: string) => {
  recorded.messages.push({ level, text });
  return undefined;
};

export const stub = {
  Position,
  Range,
  Selection,
  ProgressLocation: { Notification: 15, Window: 10 },
  ViewColumn: { Beside: -2 },
  WorkspaceEdit,
  commands: {
    registerTextEditorCommand(id: string, callback: EditorCommand) {
      recorded.commands.set(id, callback);
      return { dispose: () => recorded.commands.delete(id) };
    },
    registerCommand(id: string, callback: () => unknown) {
      recorded.plainCommands.set(id, callback);
      return { dispose: () => recorded.plainCommands.delete(id) };
    },
    async executeCommand(id: string, ...args: unknown[]) {
      recorded.executed.push({ id, args });
      return undefined;
    },
  },
  workspace: {
    getConfiguration: (section: string) => ({
      get: <T>(name: string, fallback: T): T => (recorded.configuration[`${section}.${name}`] as T | undefined) ?? fallback,
    }),
    async openTextDocument(options: { content: string; language: string }) {
      recorded.opened.push(options);
      return options;
    },
    async applyEdit(edit: WorkspaceEdit): Promise<boolean> {
      const document = documentsByUri.get(edit.replacements[0]?.uri ?? {});
      if (document === undefined) return false;
      const replacements = edit.replacements.map((r) => ({ start: document.offsetAt(r.range.start), end: document.offsetAt(r.range.end), text: r.text }));
      recorded.workspaceEdits.push(replacements);
      document.apply(replacements);
      return true;
    },
  },
  window: {
    showErrorMessage: message('error'),
    showWarningMessage: message('warning'),
    showInformationMessage: message('info'),
    async showQuickPick<T extends { label: string; description?: string }>(items: T[], options?: unknown): Promise<T | undefined> {
      recorded.quickPickLabels.push(...items.map((i) => i.label));
      recorded.quickPickDescriptions.push(...items.map((i) => i.description));
      recorded.quickPickOptions.push(options);
      return recorded.quickPickChoice === undefined ? undefined : items[recorded.quickPickChoice];
    },
    async showTextDocument(_document: unknown, options: { viewColumn: number }) {
      recorded.shownOptions.push(options);
      if (options.viewColumn === -2) recorded.shownBeside += 1;
    },
    async withProgress<T>(
      options: { location: number; title?: string; cancellable?: boolean },
      task: (
        progress: { report(value: { increment?: number; message?: string }): void },
        token: { onCancellationRequested(listener: () => void): { dispose(): void } },
      ) => Promise<T>,
    ): Promise<T> {
      recorded.progressOptions.push(options);
      const listeners: (() => void)[] = [];
      const token = {
        onCancellationRequested(listener: () => void) {
          listeners.push(listener);
          recorded.cancelListeners += 1;
          return {
            dispose: () => {
              listeners.splice(listeners.indexOf(listener), 1);
              recorded.cancelListeners -= 1;
            },
          };
        },
      };
      return task(
        {
          report(value) {
            recorded.progress.push(value);
            if (recorded.cancelAfterReports !== undefined && recorded.progress.length >= recorded.cancelAfterReports) {
              for (const listener of [...listeners]) listener();
            }
          },
        },
        token,
      );
    },
  },
};

export function install(): void {
  installVscodeStub(stub);
}
