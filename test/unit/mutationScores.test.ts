// The per-folder mutation score `npm run mutation` prints: killed and timed-out mutants over those
// run, survivors and uncovered ones against it, the rest (compile errors, ignored) not counted; and
// the ledger that sums a folder over runs of a few files each, on code unchanged since.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
// @ts-expect-error: a plain .mjs script without type declarations
import { formatLedgerScores, ledgerScores, recordRun, sourceHash } from '../../scripts/mutation/ledger.mjs';
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

interface LedgerEntry {
  readonly sha256: string;
  readonly measured: string;
  readonly commit: string;
  readonly killed: number;
  readonly timeout: number;
  readonly survived: number;
  readonly noCoverage: number;
}
type Ledger = Record<string, LedgerEntry>;
interface LedgerScore extends Score {
  readonly files: number;
  readonly unmeasured: string[];
}

const run = { measured: '2026-12-06', commit: 'abc1234' };
const withSource = (source: string, ...statuses: string[]) => ({ source, ...mutants(...statuses) });

describe('mutation ledger', () => {
  it('records each reported file’s counts with the hash of its code, keeping the other files’ entries', () => {
    const before: Ledger = {
      'src/host/old.ts': { sha256: 'x', measured: '2026-12-01', commit: 'old', killed: 1, timeout: 0, survived: 0, noCoverage: 0 },
      'src/engine/a.ts': { sha256: 'stale', measured: '2026-12-01', commit: 'old', killed: 9, timeout: 9, survived: 9, noCoverage: 9 },
    };
    const after = recordRun(
      before,
      { files: { 'src/engine/a.ts': withSource('let a = 1;', 'Killed', 'Timeout', 'Survived', 'NoCoverage', 'NoCoverage', 'CompileError', 'Ignored') } },
      run,
      { 'src/engine/a.ts': 'ignored: the report has it', 'src/engine/types.ts': 'export type T = 1;' },
    ) as Ledger;
    assert.deepEqual(after['src/engine/a.ts'], { sha256: sourceHash('let a = 1;'), measured: '2026-12-06', commit: 'abc1234', killed: 1, timeout: 1, survived: 1, noCoverage: 2 });
    assert.deepEqual(after['src/engine/types.ts'], { sha256: sourceHash('export type T = 1;'), measured: '2026-12-06', commit: 'abc1234', killed: 0, timeout: 0, survived: 0, noCoverage: 0 });
    assert.deepEqual(after['src/host/old.ts'], before['src/host/old.ts']);
    assert.deepEqual(Object.keys(after), ['src/engine/a.ts', 'src/engine/types.ts', 'src/host/old.ts']);
    assert.equal(before['src/engine/a.ts']?.sha256, 'stale', 'the ledger given is not changed');
  });

  it('sums a folder over the files whose code is what was measured, and lists the others', () => {
    const ledger = recordRun(
      {},
      {
        files: {
          'src/engine/a.ts': withSource('a', 'Killed', 'Killed', 'Killed', 'Survived'),
          'src/engine/seq2seq/b.ts': withSource('b', 'Timeout', 'NoCoverage'),
          'src/engine/changed.ts': withSource('old code', 'Killed'),
          'src/engineering/d.ts': withSource('d', 'Survived'),
        },
      },
      run,
    );
    const current = { 'src/engine/a.ts': 'a', 'src/engine/seq2seq/b.ts': 'b', 'src/engine/changed.ts': 'new code', 'src/engine/never.ts': 'n', 'src/engineering/d.ts': 'd' };
    const scores = new Map((ledgerScores(ledger, current) as LedgerScore[]).map((s) => [s.folder, s]));
    assert.deepEqual(scores.get('src/engine'), {
      folder: 'src/engine',
      target: 80,
      files: 4,
      unmeasured: ['src/engine/changed.ts', 'src/engine/never.ts'],
      killed: 3,
      timeout: 1,
      survived: 1,
      noCoverage: 1,
      score: (100 * 4) / 6,
    });
    assert.equal(scores.get('src/host')?.score, undefined);
    assert.equal(scores.get('src/host')?.files, 0);
  });

  it('calls a folder complete only when every file is measured on its current code', () => {
    const score = (folder: string, unmeasured: string[], value: number | undefined): LedgerScore => ({
      folder,
      target: 80,
      files: 3,
      unmeasured,
      killed: 8,
      timeout: 0,
      survived: 2,
      noCoverage: 0,
      score: value,
    });
    const lines = (formatLedgerScores([
      score('src/engine', [], 85),
      score('src/translate', [], 75),
      score('src/host', ['src/host/x.ts'], 90),
      score('src/models', ['src/models/a.ts', 'src/models/b.ts', 'src/models/c.ts'], undefined),
    ]) as string).split('\n');
    assert.match(lines[0] ?? '', /src\/engine\s+85\.0%\s+target 80% meets\s+3 of 3 files/);
    assert.match(lines[1] ?? '', /src\/translate\s+75\.0%\s+target 80% BELOW/);
    assert.match(lines[2] ?? '', /src\/host\s+90\.0%\s+target 80% incomplete\s+2 of 3 files/);
    assert.match(lines[3] ?? '', /src\/models\s+–\s+target 80% not measured\s+0 of 3 files/);
    assert.equal(lines[4], '  src/host not measured on its current code: src/host/x.ts');
    assert.equal(lines[5], '  src/models not measured on its current code: src/models/a.ts src/models/b.ts src/models/c.ts');
    assert.equal(lines.length, 6);
  });
});
