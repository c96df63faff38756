// The completions status bar item: loading / ready / generating / error, backend, last latency and
// tokens/s. What it says comes from the pure statusView(); clicking it runs `command` (the menu).
import * as vscode from 'vscode';
import { statusView, type StatusInput } from './completions/statusText';

export class CompletionStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor(command: string) {
    this.item = vscode.window.createStatusBarItem('tealeaf.completions', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Tealeaf Completions';
    this.item.command = command;
  }

  update(input: StatusInput): void {
    const view = statusView(input);
    this.item.text = view.text;
    const tooltip = new vscode.MarkdownString(view.tooltip, true);
    tooltip.isTrusted = false;
    this.item.tooltip = tooltip;
    this.item.backgroundColor = view.kind === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.item.accessibilityInformation = { label: `Tealeaf completions: ${view.kind}`, role: 'button' };
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
