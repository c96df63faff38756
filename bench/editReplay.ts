// A replay of real edits of this project's own source files (bench/data/edit-replay.json, written by
// bench/makeEditReplay.ts from the git history): per session, a file as it was before a commit and
// the commit's hunks in order. Replayed as an editor would see them: the cursor moves to a hunk, the
// removed lines go at once, the added text is typed character by character, and each typed
// character asks for a completion.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export const REPLAY_FILE = path.join(__dirname, 'data', 'edit-replay.json');

export interface ReplayEdit {
  /** Offset in the text as the edits before this one left it. */
  readonly start: number;
  readonly deleted: string;
  readonly inserted: string;
}

export interface ReplaySession {
  /** Path in the repository, and the commit whose hunks these are. */
  readonly file: string;
  readonly commit: string;
  readonly before: string;
  readonly edits: readonly ReplayEdit[];
}

export interface EditReplay {
  readonly source: string;
  readonly sessions: readonly ReplaySession[];
}

/** One typed character: the document around the cursor right after it, as the provider sends it. */
export interface ReplayKeystroke {
  readonly documentKey: string;
  readonly windowStart: number;
  readonly before: string;
  readonly after: string;
  readonly promptClass: PromptClass;
}

/**
 * Where the cursor is, as far as a completion is concerned: at the start of a line (nothing but
 * indentation before it), in a comment, right after an identifier character, or after anything
 * else (an operator, a bracket, a space, a dot).
 */
export type PromptClass = 'line-start' | 'comment' | 'identifier' | 'punctuation';

export function promptClassOf(before: string): PromptClass {
  const line = before.slice(before.lastIndexOf('\n') + 1);
  if (line.trim() === '') return 'line-start';
  const trimmed = line.trimStart();
  if (line.includes('//') || trimmed.startsWith('*') || trimmed.startsWith('/*')) return 'comment';
  return /[\w$]$/.test(line) ? 'identifier' : 'punctuation';
}

export function readReplay(file = REPLAY_FILE): EditReplay {
  return JSON.parse(readFileSync(file, 'utf8')) as EditReplay;
}

/** The text after every edit of a session (what the commit wrote). */
export function applyEdits(before: string, edits: readonly ReplayEdit[]): string {
  let text = before;
  for (const edit of edits) {
    if (text.slice(edit.start, edit.start + edit.deleted.length) !== edit.deleted) throw new Error(`the replay's edit at ${edit.start} does not match the text`);
    text = text.slice(0, edit.start) + edit.inserted + text.slice(edit.start + edit.deleted.length);
  }
  return text;
}

/**
 * The first `limit` typed keystrokes of a session, in order. `contextChars`: the window of text
 * before the cursor the editor would send starts at a line start about that many characters back.
 */
export function keystrokesOf(session: ReplaySession, limit: number, contextChars: number): ReplayKeystroke[] {
  const out: ReplayKeystroke[] = [];
  let text = session.before;
  for (const edit of session.edits) {
    text = text.slice(0, edit.start) + text.slice(edit.start + edit.deleted.length);
    for (let i = 0; i < edit.inserted.length && out.length < limit; i++) {
      const cursor = edit.start + i + 1;
      text = text.slice(0, cursor - 1) + (edit.inserted[i] as string) + text.slice(cursor - 1);
      const from = Math.max(0, cursor - contextChars);
      const lineStart = text.indexOf('\n', from) + 1;
      const windowStart = from === 0 || lineStart === 0 || lineStart > cursor ? from : lineStart;
      const before = text.slice(windowStart, cursor);
      out.push({ documentKey: `${session.commit}:${session.file}`, windowStart, before, after: text.slice(cursor), promptClass: promptClassOf(before) });
    }
    if (out.length >= limit) break;
    text = text.slice(0, edit.start) + edit.inserted + text.slice(edit.start + edit.inserted.length);
  }
  return out;
}
