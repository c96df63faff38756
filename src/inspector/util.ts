// Small pure helpers of the inspector's host side.

/** A file name suggested by the webview: one path segment of safe characters, with the extension. */
export function sanitizeFileName(name: string, extension: string): string {
  const base = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '').slice(0, 80) || 'tealeaf-attention';
  return base.endsWith(extension) ? base : `${base}${extension}`;
}
