// Tests import modules that `import * as vscode from 'vscode'`, a module that exists only inside VS
// Code. installVscodeStub makes `require('vscode')` return a test's stub instead; it must run
// before those modules are imported. Position and Range are the value classes every stub needs,
// EventEmitter the one of stubs whose code under test fires events.
import Module from 'node:module';

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}

export class Range {
  constructor(
    readonly start: Position,
    readonly end: Position,
  ) {}
}

/** vscode.EventEmitter as the code under test uses it: listeners in order, fired at once. */
export class EventEmitter<T> {
  private readonly listeners: ((value: T) => void)[] = [];
  readonly event = (listener: (value: T) => void) => {
    this.listeners.push(listener);
    return { dispose: () => undefined };
  };
  fire(value: T): void {
    for (const l of this.listeners) l(value);
  }
  dispose(): void {}
}

let installed: object | undefined;

/** Serves `stub` as the `vscode` module of this process (once; a second stub is refused). */
export function installVscodeStub(stub: object): void {
  if (installed === stub) return;
  if (installed) throw new Error('a different vscode stub is already installed in this process');
  installed = stub;
  const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const original = loader._load;
  loader._load = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? stub : original.call(this, request, ...rest);
  };
}
