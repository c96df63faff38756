// What features (completions, inspector, translation) need from the model layer.
// Implemented by ModelManager (src/models/modelManager.ts); faked in unit tests.
import type * as vscode from 'vscode';
import type { Engine, ModelInfo } from '../engine/types';
import type { EngineMemory } from '../protocol/engine';

export type ModelRole = 'completion' | 'inspector' | 'translation';

export type ModelState =
  | { readonly status: 'idle' }
  | { readonly status: 'loading'; readonly modelDir: string }
  | { readonly status: 'ready'; readonly info: ModelInfo }
  | { readonly status: 'error'; readonly message: string };

export interface ModelStateChange {
  readonly role: ModelRole;
  readonly state: ModelState;
}

export interface ModelProvider {
  /** Loads (once) and returns the engine for a role; rejects with a ModelError on a bad model. */
  engineFor(role: ModelRole): Promise<Engine>;
  /** The engine if already loaded, without starting a load. */
  readyEngine(role: ModelRole): Engine | undefined;
  state(role: ModelRole): ModelState;
  readonly onDidChangeState: vscode.Event<ModelStateChange>;
  /** What the engines that run now hold (an engine not running is absent); for the status bar menu. */
  engineMemory?(): Promise<EngineMemoryReport>;
}

export interface EngineMemoryReport {
  /** The engine of completions and translation. */
  readonly main?: EngineMemory;
  /** The inspector's own engine, while it runs. */
  readonly inspector?: EngineMemory;
}
