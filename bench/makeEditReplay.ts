// Writes bench/data/edit-replay.json from this repository's git history: real edits of its own
// TypeScript sources, for the completion benchmarks (bench/editReplay.ts replays them).
//   node --import tsx bench/makeEditReplay.ts [--sessions N]
// A session is one commit's hunks in one existing file under src/: the file as the parent commit
// had it, then each hunk (lines removed, lines added) in order. Commits qualify when they change a
// file of at least MIN_FILE_CHARS by adding 20–200 lines and removing at most 60 (an edit, not a
// rewrite or a new file); the sessions are spread evenly over the qualifying ones, oldest first,
// one per file.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { applyEdits, type EditReplay, REPLAY_FILE, type ReplayEdit, type ReplaySession } from './editReplay';

const MIN_FILE_CHARS = 4000;

function git(...args: string[]): string {
  return execFileSync('git', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
}

interface Candidate {
  readonly commit: string;
  readonly file: string;
}

function candidates(): Candidate[] {
  const found: Candidate[] = [];
  for (const commit of git('log', '--reverse', '--no-merges', '--format=%H', '--', 'src').trim().split('\n')) {
    const parents = git('rev-list', '--parents', '-n', '1', commit).trim().split(' ');
    if (parents.length !== 2) continue;
    for (const line of git('diff', '--numstat', `${commit}^`, commit, '--', 'src').trim().split('\n')) {
      const [added, removed, file] = line.split('\t');
      if (!file?.endsWith('.ts') || file.includes('=>')) continue;
      if (Number(added) < 20 || Number(added) > 200 || Number(removed) > 60) continue;
      let before: string;
      try {
        before = git('show', `${commit}^:${file}`);
      } catch {
        continue; // a new file
      }
      if (before.length >= MIN_FILE_CHARS) found.push({ commit, file });
    }
  }
  return found;
}

/** Lines of `text` with their newline, so that offsets add up. */
function lines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function sessionOf({ commit, file }: Candidate): ReplaySession {
  const before = git('show', `${commit}^:${file}`);
  const after = git('show', `${commit}:${file}`);
  const beforeLines = lines(before);
  const afterLines = lines(after);
  const edits: ReplayEdit[] = [];
  let shift = 0; // characters the hunks before this one added (or removed, when negative)
  for (const match of git('diff', '-U0', '--no-color', `${commit}^`, commit, '--', file).matchAll(/^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/gm)) {
    const [oldStart, oldCount, newStart, newCount] = [Number(match[1]), Number(match[2] ?? 1), Number(match[3]), Number(match[4] ?? 1)];
    // A count of 0 names the line before the hunk: the change goes after it.
    const oldFrom = oldCount === 0 ? oldStart : oldStart - 1;
    const newFrom = newCount === 0 ? newStart : newStart - 1;
    const deleted = beforeLines.slice(oldFrom, oldFrom + oldCount).join('');
    const inserted = afterLines.slice(newFrom, newFrom + newCount).join('');
    const start = beforeLines.slice(0, oldFrom).join('').length + shift;
    edits.push({ start, deleted, inserted });
    shift += inserted.length - deleted.length;
  }
  if (applyEdits(before, edits) !== after) throw new Error(`${commit} ${file}: the hunks do not rebuild the file`);
  return { file, commit: commit.slice(0, 12), before, edits };
}

function main(): void {
  const { values } = parseArgs({ options: { sessions: { type: 'string', default: '8' } } });
  const wanted = Number(values.sessions);
  const all = candidates();
  if (all.length === 0) throw new Error('no commit in the history qualifies');
  const step = Math.max(1, all.length / wanted);
  const chosen: Candidate[] = [];
  for (let i = 0; i < wanted; i++) {
    // The evenly spaced candidate, or the next one in a file not chosen yet.
    const next = all.slice(Math.floor(i * step)).find((c) => !chosen.some((x) => x.file === c.file));
    if (next && !chosen.includes(next)) chosen.push(next);
  }
  const replay: EditReplay = {
    source: `git history of this repository: ${chosen.length} of ${all.length} qualifying (commit, file) edits, spread evenly (bench/makeEditReplay.ts)`,
    sessions: chosen.map(sessionOf),
  };
  writeFileSync(REPLAY_FILE, `${JSON.stringify(replay, null, 1)}\n`);
  process.stderr.write(`wrote ${REPLAY_FILE}: ${replay.sessions.map((s) => `${s.commit} ${s.file} (${s.edits.length} hunks)`).join(', ')}\n`);
}

main();
