// The Hub environment inside VS Code: the environment variables, overridden by Tealeaf's settings
// (`tealeaf.hub.cacheDir`, `tealeaf.hub.offline`), VS Code's `http.proxy`, and the token kept in
// SecretStorage by "Tealeaf: Sign In to Hugging Face…".
import * as vscode from 'vscode';
import { type HubEnvironment, hubEnvironment } from '../environment';

export const TOKEN_SECRET = 'tealeaf.hub.token';

export async function vscodeHubEnvironment(secrets: vscode.SecretStorage): Promise<HubEnvironment> {
  const hub = vscode.workspace.getConfiguration('tealeaf.hub');
  const cacheDir = hub.get<string>('cacheDir', '').trim();
  const proxy = vscode.workspace.getConfiguration('http').get<string>('proxy', '').trim();
  const token = await secrets.get(TOKEN_SECRET);
  return hubEnvironment({
    ...(cacheDir ? { cacheDir } : {}),
    ...(hub.get<boolean>('offline', false) ? { offline: true } : {}),
    ...(proxy ? { proxy } : {}),
    ...(token ? { token } : {}),
  });
}
