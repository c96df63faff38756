// The Hub commands: Download Model…, Sign In to Hugging Face…, Manage Models. Each reads the
// settings and the stored token when it runs, so changes apply without a reload.
import * as vscode from 'vscode';
import type { ModelManager } from '../../models/modelManager';
import type { DownloadResult } from '../downloadModel';
import { COMMANDS } from '../../commands';
import { downloadModelCommand } from './downloadCommand';
import { vscodeHubEnvironment } from './hubSettings';
import { manageModelsCommand } from './manageModels';
import { signInCommand } from './signIn';

export interface HubApi {
  /** The last finished download in this window (for the end-to-end tests and the log). */
  lastDownload(): DownloadResult | undefined;
}

export function registerHub(context: vscode.ExtensionContext, deps: { readonly models: ModelManager; readonly log: vscode.LogOutputChannel }): HubApi {
  let last: DownloadResult | undefined;
  const env = () => vscodeHubEnvironment(context.secrets);
  context.subscriptions.push(
    vscode.commands.registerCommand(COMMANDS.downloadModel, async () => {
      last = (await downloadModelCommand(await env(), deps.log)) ?? last;
      return last;
    }),
    vscode.commands.registerCommand(COMMANDS.signInHuggingFace, async () => signInCommand(await env(), context.secrets)),
    vscode.commands.registerCommand(COMMANDS.manageModels, async () => manageModelsCommand(await env(), deps.models, context.extensionPath)),
  );
  return { lastDownload: () => last };
}
