// What the runner hands to the UI suites.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';

export interface ModelShape {
  readonly dir: string;
  readonly layers: number;
  readonly heads: number;
}

/** A second code-server with Workspace Trust on, whose workspace's settings name a completion model. */
export interface UntrustedWorkspace {
  readonly url: string;
  readonly folder: string;
  /** The model folder the workspace's .vscode/settings.json names (a test fixture). */
  readonly workspaceModel: string;
  /** The folder name of the bundled completion model, which must run instead. */
  readonly bundledModelName: string;
  stop(): Promise<void>;
}

export interface UiContext {
  readonly url: string;
  /** The workspace folder the UI tests open (a copy of test/e2e/sample-workspace). */
  readonly folder: string;
  readonly artifactsDir: string;
  /** The models the run uses; a suite whose model is missing is skipped and says so. */
  readonly models: { readonly completion?: ModelShape; readonly translation?: { readonly dir: string } };
  /** The Hugging Face cache code-server downloads into (HF_HUB_CACHE), from the runner's mock Hub. */
  readonly hubCache: string;
  browser(): Browser;
  /** Started by the Workspace Trust suite only (a code-server costs seconds and memory). */
  startUntrustedWorkspace(): Promise<UntrustedWorkspace>;
}

/** 1-based number of the first line of a workspace file for which `match` holds. */
export function lineNumber(ctx: UiContext, relativePath: string, match: (line: string, previous: string | undefined) => boolean): number {
  const lines = readFileSync(path.join(ctx.folder, relativePath), 'utf8').split('\n');
  const index = lines.findIndex((line, i) => match(line, lines[i - 1]));
  if (index < 0) throw new Error(`no matching line in ${relativePath}`);
  return index + 1;
}
