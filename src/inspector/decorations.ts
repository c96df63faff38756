// Editor shading by attention received: one decoration type per shade level plus an outline on
// the query token. Owns its decoration types (disposed with the feature).
import * as vscode from 'vscode';
import type { TokenLabel } from '../protocol/inspector';
import type { EditorLink } from './session';
import { SHADE_LEVELS, shadeAlpha, shadedRanges } from './shading';

export class AttentionShading implements vscode.Disposable {
  private readonly levels: vscode.TextEditorDecorationType[];
  private readonly query: vscode.TextEditorDecorationType;
  private shadedUri: string | undefined;

  constructor() {
    // A warm orange reads on light, dark and high-contrast themes alike; alpha carries the weight.
    this.levels = Array.from({ length: SHADE_LEVELS }, (_, i) =>
      vscode.window.createTextEditorDecorationType({
        backgroundColor: `rgba(255, 140, 0, ${shadeAlpha(i + 1)})`,
        ...(i === SHADE_LEVELS - 1 ? { overviewRulerColor: 'rgba(255, 140, 0, 0.8)', overviewRulerLane: vscode.OverviewRulerLane.Center } : {}),
      }),
    );
    this.query = vscode.window.createTextEditorDecorationType({
      borderStyle: 'solid',
      borderWidth: '1px',
      borderColor: new vscode.ThemeColor('focusBorder'),
    });
  }

  /** Shades every visible editor of the linked document; weights: [keys] in 0..1. */
  apply(link: EditorLink, keyTokens: readonly TokenLabel[], weights: readonly number[], queryToken: TokenLabel | undefined, reveal: boolean): void {
    this.clear();
    const editors = vscode.window.visibleTextEditors.filter((e) => e.document.uri.toString() === link.uri);
    if (editors.length === 0) return;
    this.shadedUri = link.uri;
    const ranges = shadedRanges(keyTokens, weights, link.base, link.length);
    for (const editor of editors) {
      const doc = editor.document;
      const byLevel: vscode.Range[][] = this.levels.map(() => []);
      for (const r of ranges) byLevel[r.level - 1]!.push(new vscode.Range(doc.positionAt(r.start), doc.positionAt(r.end)));
      this.levels.forEach((type, i) => editor.setDecorations(type, byLevel[i]!));
      if (queryToken && queryToken.end <= link.length) {
        const range = new vscode.Range(doc.positionAt(link.base + queryToken.start), doc.positionAt(link.base + queryToken.end));
        editor.setDecorations(this.query, [range]);
        if (reveal) editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      }
    }
  }

  clear(): void {
    if (this.shadedUri === undefined) return;
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.toString() !== this.shadedUri) continue;
      for (const type of this.levels) editor.setDecorations(type, []);
      editor.setDecorations(this.query, []);
    }
    this.shadedUri = undefined;
  }

  dispose(): void {
    this.clear();
    for (const type of this.levels) type.dispose();
    this.query.dispose();
  }
}
