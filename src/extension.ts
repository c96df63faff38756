// Extension entry point: owns the engine host and the model manager, and registers each feature.
// Every disposable goes to context.subscriptions.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { WorkerHost } from './host/workerHost';
import { ModelManager } from './models/modelManager';

export function activate(context: vscode.ExtensionContext): void {
  // Inference runs in a worker_threads worker: the extension host's event loop stays free.
  const host = new WorkerHost({ workerPath: path.join(context.extensionPath, 'dist', 'worker.mjs') });
  const models = new ModelManager(host, context.extensionPath);
  context.subscriptions.push(models);
}

export function deactivate(): void {
  // Disposables in context.subscriptions stop the worker.
}
