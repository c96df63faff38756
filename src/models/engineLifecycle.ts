// The vscode side of the engine's lifecycle: the engine status bar item, a line in the
// Tealeaf log for every start, crash and reload, and the Restart Engine command (also what the
// stopped item runs when clicked). The texts come from lifecycleText.ts.
import * as vscode from 'vscode';
import type { EngineLifecycleEvent, ManagedEngineHost } from '../host/lifecycle';
import { EngineStatusBar } from '../statusBar';
import { COMMANDS } from '../commands';
import { engineLogLine, engineNotice, type EngineNotice } from './lifecycleText';

export interface EngineLifecycleApi {
  /** What the engine status bar item shows now (undefined while hidden). */
  notice(): EngineNotice | undefined;
}

export function registerEngineLifecycle(context: vscode.ExtensionContext, host: ManagedEngineHost, log: vscode.LogOutputChannel): EngineLifecycleApi {
  const statusBar = new EngineStatusBar(COMMANDS.restartEngine);
  const onEvent = (event: EngineLifecycleEvent): void => {
    const line = engineLogLine(event);
    log[line.level](line.text);
    const notice = engineNotice(event, new Date());
    if (notice !== undefined) statusBar.show(notice);
    // A worker started on request ends the "stopped" notice; one started after a crash must not
    // hide the crash notice shown a moment before.
    else if (event.kind === 'started' && event.cause === 'retry') statusBar.show(undefined);
    if (event.kind === 'crashed' && !event.restarting) {
      void vscode.window.showErrorMessage(`Tealeaf: ${event.reason}; the engine crashed ${event.crashesInWindow} times within a minute and was not restarted.`, 'Retry').then((choice) => {
        if (choice === 'Retry') void vscode.commands.executeCommand(COMMANDS.restartEngine);
      });
    }
  };
  const subscription = host.onDidChangeLifecycle(onEvent);
  context.subscriptions.push(
    statusBar,
    subscription,
    vscode.commands.registerCommand(COMMANDS.restartEngine, async () => {
      await host.restart('retry');
      void vscode.window.setStatusBarMessage('Tealeaf: engine restarted; models load again on their next use', 3000);
    }),
  );
  return { notice: () => statusBar.notice };
}
