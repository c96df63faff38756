// The status bar items. The completions item: loading / ready / generating / error, backend, last
// latency and tokens/s; what it says comes from the pure statusView(), and clicking it runs
// `command` (the menu). The engine item: what happened to the engine (engineNotice()).
import * as vscode from 'vscode';
import { statusView, type StatusInput } from './completions/statusText';
import type { EngineNotice } from './models/lifecycleText';

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

/**
 * The engine item: hidden while the engine runs normally; after a restart it says what
 * happened for a while, and while the engine is stopped it stays, red, and clicking restarts it.
 */
export class EngineStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private hideTimer: NodeJS.Timeout | undefined;
  private shown: EngineNotice | undefined;

  constructor(restartCommand: string) {
    this.item = vscode.window.createStatusBarItem('tealeaf.engine', vscode.StatusBarAlignment.Right, 99);
    this.item.name = 'Tealeaf Engine';
    this.item.command = restartCommand;
  }

  /** Shows `notice`, or hides the item when there is none. */
  show(notice: EngineNotice | undefined): void {
    clearTimeout(this.hideTimer);
    this.hideTimer = undefined;
    this.shown = notice;
    if (notice === undefined) {
      this.item.hide();
      return;
    }
    this.item.text = notice.text;
    const tooltip = new vscode.MarkdownString(notice.tooltip, true);
    tooltip.isTrusted = false;
    this.item.tooltip = tooltip;
    this.item.backgroundColor =
      notice.severity === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : notice.severity === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
    this.item.accessibilityInformation = { label: notice.text.replace(/\$\([^)]*\)\s*/g, ''), role: 'button' };
    this.item.show();
    if (notice.hideAfterMs !== undefined) this.hideTimer = setTimeout(() => this.show(undefined), notice.hideAfterMs);
  }

  /** What the item shows now; undefined while hidden. */
  get notice(): EngineNotice | undefined {
    return this.shown;
  }

  dispose(): void {
    clearTimeout(this.hideTimer);
    this.item.dispose();
  }
}
