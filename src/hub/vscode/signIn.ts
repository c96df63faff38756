// "Tealeaf: Sign In to Hugging Face…": a token, checked with the Hub's whoami, kept in SecretStorage
// (never in settings). An empty entry signs out.
import * as vscode from 'vscode';
import type { HubEnvironment } from '../environment';
import { checkToken } from '../hubApi';
import { TOKEN_SECRET } from './hubSettings';
import { errorText } from '../../util/unknown';

export async function signInCommand(env: HubEnvironment, secrets: vscode.SecretStorage): Promise<void> {
  const token = await vscode.window.showInputBox({
    title: 'Tealeaf: Sign In to Hugging Face',
    prompt: `An access token (read) from ${env.endpoint}/settings/tokens, for gated and private models. Leave empty to sign out.`,
    password: true,
    ignoreFocusOut: true,
    placeHolder: 'hf_…',
  });
  if (token === undefined) return;
  if (token.trim() === '') {
    await secrets.delete(TOKEN_SECRET);
    void vscode.window.showInformationMessage('Tealeaf: signed out of Hugging Face (HF_TOKEN, if set, still applies).');
    return;
  }
  try {
    const name = await checkToken(env, token.trim());
    await secrets.store(TOKEN_SECRET, token.trim());
    void vscode.window.showInformationMessage(`Tealeaf: signed in to Hugging Face as ${name}.`);
  } catch (error) {
    void vscode.window.showErrorMessage(`Tealeaf: the Hub refused the token (${errorText(error)}); nothing was stored.`);
  }
}
