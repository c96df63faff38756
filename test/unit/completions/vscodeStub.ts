// The few vscode API pieces the completion provider touches, for unit tests (the real `vscode`
// module exists only inside VS Code). install() must run before the provider is imported.
import { installVscodeStub, Position, Range } from '../vscodeModule';

export { Position, Range };

export class InlineCompletionItem {
  constructor(
    readonly insertText: string,
    readonly range?: Range,
  ) {}
}

export const configuration: Record<string, unknown> = {};

export const stub = {
  Position,
  Range,
  InlineCompletionItem,
  workspace: { getConfiguration: () => ({ get: (name: string) => configuration[name] }) },
  window: { visibleTextEditors: [] as unknown[] },
};

export function install(): void {
  installVscodeStub(stub);
}

/** A TextDocument over a string (LF line breaks). */
export class FakeDocument {
  readonly uri: { scheme: string; toString(): string };
  private readonly lineStarts: number[] = [0];

  constructor(
    private readonly text: string,
    readonly languageId = 'typescript',
    scheme = 'file',
  ) {
    this.uri = { scheme, toString: () => `${scheme}:///doc.ts` };
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.lineStarts.push(i + 1);
  }

  offsetAt(position: Position): number {
    return Math.min(this.text.length, (this.lineStarts[position.line] ?? this.text.length) + position.character);
  }

  positionAt(offset: number): Position {
    const clamped = Math.max(0, Math.min(this.text.length, offset));
    let line = 0;
    while (line + 1 < this.lineStarts.length && this.lineStarts[line + 1]! <= clamped) line++;
    return new Position(line, clamped - this.lineStarts[line]!);
  }

  getText(range: Range): string {
    return this.text.slice(this.offsetAt(range.start), this.offsetAt(range.end));
  }
}

/** A CancellationToken the test cancels. */
export class FakeToken {
  isCancellationRequested = false;
  private readonly listeners: (() => void)[] = [];
  onCancellationRequested = (listener: () => void) => {
    this.listeners.push(listener);
    return { dispose: () => undefined };
  };
  cancel(): void {
    this.isCancellationRequested = true;
    for (const listener of this.listeners) listener();
  }
}
