// Reading values whose type is unknown: messages from another thread or the webview, and whatever a
// catch clause caught. Pure: no vscode, no Node; the engine and the webview use it too.

/** An object whose fields can be read one by one (arrays and class instances included). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** One line for a thrown value: an Error's message, anything else as a string. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
