// The vscode API pieces the inspector's controller (src/inspector/index.ts) and panel touch, for
// unit tests. install() must run before the inspector is imported. The webview answers like the
// page does: 'ready' once it is created, and 'firstPaint' for each document it is sent. It records
// what the panel posted and which messages the user was shown.
import { Emitter as EventEmitter } from '../../src/completions/emitter';
import { FakeDocument as TextDocument } from './translate/vscodeStub';
import { installVscodeStub, Position, Range } from './vscodeModule';

export { Position, Range };

export class Selection extends Range {
  constructor(
    readonly anchor: Position,
    readonly active: Position,
  ) {
    const forward = anchor.line < active.line || (anchor.line === active.line && anchor.character <= active.character);
    super(forward ? anchor : active, forward ? active : anchor);
  }

  get isEmpty(): boolean {
    return this.start.line === this.end.line && this.start.character === this.end.character;
  }
}

/** The translation tests' TextDocument over a string, at a path of its own, with lines. */
export class FakeDocument extends TextDocument {
  override readonly uri: { readonly scheme: string; readonly path: string; toString(): string };

  constructor(text: string, file = '/work/sample.py') {
    super(text, 'python');
    this.uri = { scheme: 'file', path: file, toString: () => `file://${file}` };
  }

  lineAt(line: number): { range: Range } {
    const text = this.text.split('\n')[line] ?? '';
    return { range: new Range(new Position(line, 0), new Position(line, text.length)) };
  }

  /** The selection of `part`, the first occurrence of it in the text. */
  select(part: string): Selection {
    const start = this.text.indexOf(part);
    if (start < 0) throw new Error(`${JSON.stringify(part)} is not in the document`);
    return new Selection(this.positionAt(start), this.positionAt(start + part.length));
  }
}

export class FakeEditor {
  constructor(
    readonly document: FakeDocument,
    public selection: Selection,
  ) {}

  get selections(): Selection[] {
    return [this.selection];
  }

  setDecorations(): void {}
}

interface Posted {
  readonly type: string;
  readonly [key: string]: unknown;
}

export interface Recorded {
  /** Every message the panel posted to its webview, in order. */
  readonly posted: Posted[];
  readonly errors: string[];
  readonly infos: string[];
  readonly configuration: Record<string, unknown>;
  activeTextEditor: FakeEditor | undefined;
  panelsCreated: number;
}

export const recorded: Recorded = { posted: [], errors: [], infos: [], configuration: {}, activeTextEditor: undefined, panelsCreated: 0 };

function createWebviewPanel() {
  recorded.panelsCreated += 1;
  const received = new EventEmitter<unknown>();
  const disposed = new EventEmitter<void>();
  const webview = {
    options: {},
    html: '',
    cspSource: 'vscode-webview:',
    asWebviewUri: (uri: unknown) => uri,
    onDidReceiveMessage: received.event,
    postMessage: async (message: Posted) => {
      recorded.posted.push(message);
      const doc = message.type === 'document' ? (message.doc as { docId: number }) : undefined;
      if (doc) setImmediate(() => received.fire({ type: 'firstPaint', docId: doc.docId, at: Date.now() }));
      return true;
    },
  };
  // The page's script starts listening after the panel is made, and says so.
  setImmediate(() => received.fire({ type: 'ready' }));
  return { webview, onDidDispose: disposed.event, reveal: () => {}, dispose: () => disposed.fire() };
}

const uri = (path: string) => ({ scheme: 'file', path, toString: () => `file://${path}` });
const noDisposable = { dispose: () => {} };
const selectionChanged = new EventEmitter<{ textEditor: FakeEditor; selections: Selection[] }>();

export const vscodeStub = {
  Position,
  Range,
  Selection,
  EventEmitter,
  ThemeColor: class {
    constructor(readonly id: string) {}
  },
  ViewColumn: { Beside: -2 },
  OverviewRulerLane: { Center: 2 },
  Uri: {
    joinPath: (base: { path: string }, ...parts: string[]) => uri([base.path, ...parts].join('/')),
    parse: (text: string) => uri(text.replace(/^file:\/\//, '')),
    file: (path: string) => uri(path),
  },
  commands: { registerCommand: () => noDisposable },
  window: {
    get activeTextEditor() {
      return recorded.activeTextEditor;
    },
    get visibleTextEditors() {
      return recorded.activeTextEditor ? [recorded.activeTextEditor] : [];
    },
    showErrorMessage: async (message: string) => {
      recorded.errors.push(message);
      return undefined;
    },
    showInformationMessage: async (message: string) => {
      recorded.infos.push(message);
      return undefined;
    },
    createWebviewPanel,
    createTextEditorDecorationType: () => noDisposable,
    registerWebviewPanelSerializer: () => noDisposable,
    onDidChangeTextEditorSelection: selectionChanged.event,
  },
  workspace: {
    getConfiguration: (section: string) => ({ get: (key: string) => recorded.configuration[`${section}.${key}`] }),
    onDidChangeConfiguration: () => noDisposable,
    textDocuments: [] as FakeDocument[],
    workspaceFolders: undefined,
  },
};

/** What VS Code does when the user moves the selection in `editor`. */
export function changeSelection(editor: FakeEditor, selection: Selection): void {
  editor.selection = selection;
  selectionChanged.fire({ textEditor: editor, selections: [selection] });
}

export function install(): void {
  installVscodeStub(vscodeStub);
}
