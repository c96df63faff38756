// The Hub commands: Download Model…, Sign In to Hugging Face…, Manage Models. Each reads the
// settings and the stored token when it runs, so changes apply without a reload.
import * as vscode from 'vscode';
import type { ModelManager } from '../../models/modelManager';
import type { DownloadResult } from '../downloadModel';
import { downloadModelCommand, SIGN_IN_COMMAND } from './downloadCommand';
import { vscodeHubEnvironment } from './hubSettings';
import { manageModelsCommand } from './manageModels';
import { signInCommand } from './signIn';

export const HUB_COMMANDS = {
  download: 'tealeaf.downloadModel',
  signIn: SIGN_IN_COMMAND,
  manage: 'tealeaf.manageModels',
} as const;

export interface HubApi {
  /** The last finished download in this window (for the end-to-end tests and the log). */
  lastDownload(): DownloadResult | undefined;
}

export function registerHub(context: vscode.ExtensionContext, deps: { readonly models: ModelManager; readonly log: vscode.LogOutputChannel }): HubApi {
  let last: DownloadResult | undefined;
  const env = () => vscodeHubEnvironment(context.secrets);
  context.subscriptions.push(
    vscode.commands.registerCommand(HUB_COMMANDS.download, async () => {
      last = (await downloadModelCommand(await env(), deps.log)) ?? last;
      return last;
    }),
    vscode.commands.registerCommand(HUB_COMMANDS.signIn, async () => signInCommand(await env(), context.secrets)),
    vscode.commands.registerCommand(HUB_COMMANDS.manage, async () => manageModelsCommand(await env(), deps.models, context.extensionPath)),
  );
  return { lastDownload: () => last };
}
