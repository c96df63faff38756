// The per-folder mutation score `npm run mutation` prints: killed and timed-out mutants over those
// run, survivors and uncovered ones against it, the rest (compile errors, ignored) not counted.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
// @ts-expect-error: a plain .mjs script without type declarations
import { folderScores, formatScores } from '../../scripts/mutation/scores.mjs';

interface Score {
  readonly folder: string;
  readonly target: number;
  readonly killed: number;
  readonly timeout: number;
  readonly survived: number;
  readonly noCoverage: number;
  readonly score: number | undefined;
}

const mutants = (...statuses: string[]) => ({ mutants: statuses.map((status) => ({ status })) });

describe('mutation scores per folder', () => {
  it('counts killed and timed-out mutants as caught, survivors and uncovered ones as missed, and nothing else', () => {
    const scores = folderScores({
      files: {
        'src/engine/a.ts': mutants('Killed', 'Killed', 'Timeout', 'Survived', 'CompileError', 'Ignored'),
        'src/engine/seq2seq/b.ts': mutants('NoCoverage', 'Killed'),
        'src/translate/c.ts': mutants('Survived'),
        'src/engineering/d.ts': mutants('Survived'),
      },
    }) as Score[];
    const byFolder = new Map(scores.map((s) => [s.folder, s]));
    assert.deepEqual(byFolder.get('src/engine'), { folder: 'src/engine', target: 80, killed: 3, timeout: 1, survived: 1, noCoverage: 1, score: (100 * 4) / 6 });
    assert.equal(byFolder.get('src/translate')?.score, 0);
    assert.equal(byFolder.get('src/completions')?.score, undefined, 'no mutants: not measured');
    assert.deepEqual(
      scores.map((s) => [s.folder, s.target]),
      [
        ['src/engine', 80],
        ['src/translate', 80],
        ['src/completions', 70],
        ['src/models', 70],
        ['src/host', 70],
      ],
    );
  });

  it('says per folder whether it meets its target', () => {
    const text = formatScores([
      { folder: 'src/engine', target: 80, killed: 8, timeout: 0, survived: 2, noCoverage: 0, score: 80 },
      { folder: 'src/host', target: 70, killed: 1, timeout: 0, survived: 1, noCoverage: 0, score: 50 },
      { folder: 'src/models', target: 70, killed: 0, timeout: 0, survived: 0, noCoverage: 0, score: undefined },
    ] satisfies Score[]) as string;
    const lines = text.split('\n');
    assert.match(lines[0] ?? '', /src\/engine\s+80\.0%\s+target 80% meets/);
    assert.match(lines[1] ?? '', /src\/host\s+50\.0%\s+target 70% BELOW/);
    assert.match(lines[2] ?? '', /src\/models\s+–\s+target 70% not measured/);
  });
});
