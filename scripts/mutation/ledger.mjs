// The mutation ledger (reports/mutation/ledger.json, committed): per source file, the counts of
// its latest mutation run and a hash of the code they were measured on. A whole run of src/engine
// takes longer than a working session on two cores, so folders are measured a few files at a time
// (`npm run mutation -- src/engine/a.ts src/engine/b.ts`), each run records its files here, and
// the folder score is summed over the files whose code has not changed since their run. A file
// changed since, or never run, is listed as not measured: its old counts are not used.
import { createHash } from 'node:crypto';
import { countStatuses, scoreOf, TARGETS } from './scores.mjs';

/** @typedef {{ sha256: string, measured: string, commit: string, killed: number, timeout: number, survived: number, noCoverage: number }} LedgerEntry */
/** @typedef {Record<string, LedgerEntry>} Ledger */

export function sourceHash(source) {
  return createHash('sha256').update(source).digest('hex');
}

/**
 * The ledger with every file of `report` (Stryker's JSON report, which holds each file's source)
 * recorded as measured now, and every file the run named that has no mutant (types only) as
 * measured with none; other files keep their entries.
 * @param {Ledger} ledger
 * @param {{ files: Record<string, { source: string, mutants: { status: string }[] }> }} report
 * @param {{ measured: string, commit: string }} run
 * @param {Record<string, string>} namedSources the files the run was to mutate, path → source
 * @returns {Ledger}
 */
export function recordRun(ledger, report, run, namedSources = {}) {
  const next = { ...ledger };
  const files = { ...Object.fromEntries(Object.entries(namedSources).map(([file, source]) => [file, { source, mutants: [] }])), ...report.files };
  for (const [file, { source, mutants }] of Object.entries(files)) {
    next[file.replace(/\\/g, '/')] = { sha256: sourceHash(source), measured: run.measured, commit: run.commit, ...countStatuses(mutants) };
  }
  return Object.fromEntries(Object.entries(next).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Per folder, the score summed over the ledger's entries for the folder's current files whose hash
 * matches their code, and the files left out: `unmeasured` (no entry, or the code changed since).
 * @param {Ledger} ledger
 * @param {Record<string, string>} currentSources the files a full run mutates, path → source
 */
export function ledgerScores(ledger, currentSources) {
  return Object.entries(TARGETS).map(([folder, target]) => {
    const counts = { killed: 0, timeout: 0, survived: 0, noCoverage: 0 };
    const unmeasured = [];
    let files = 0;
    for (const [file, source] of Object.entries(currentSources)) {
      if (!file.startsWith(`${folder}/`)) continue;
      files++;
      const entry = ledger[file];
      if (entry === undefined || entry.sha256 !== sourceHash(source)) {
        unmeasured.push(file);
        continue;
      }
      counts.killed += entry.killed;
      counts.timeout += entry.timeout;
      counts.survived += entry.survived;
      counts.noCoverage += entry.noCoverage;
    }
    return { folder, target, files, unmeasured: unmeasured.sort(), ...counts, score: scoreOf(counts) };
  });
}

/** One line per folder, then the files each folder's score leaves out. */
export function formatLedgerScores(scores) {
  const lines = [];
  for (const s of scores) {
    const score = s.score === undefined ? '   –  ' : `${s.score.toFixed(1).padStart(5)}%`;
    const measured = s.files - s.unmeasured.length;
    const verdict = s.score === undefined ? 'not measured' : s.unmeasured.length > 0 ? 'incomplete' : s.score >= s.target ? 'meets' : 'BELOW';
    lines.push(
      `  ${s.folder.padEnd(16)} ${score}  target ${s.target}% ${verdict.padEnd(12)} ${measured} of ${s.files} files; killed ${s.killed}, timeout ${s.timeout}, survived ${s.survived}, no coverage ${s.noCoverage}`,
    );
  }
  for (const s of scores) {
    if (s.unmeasured.length > 0) lines.push(`  ${s.folder} not measured on its current code: ${s.unmeasured.join(' ')}`);
  }
  return lines.join('\n');
}
