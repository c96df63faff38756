// Mutation scores per source folder from Stryker's JSON report (mutation-testing-report-schema),
// against the targets of the project: 80% for src/engine and src/translate, 70% elsewhere.
// Score = detected / (detected + undetected): killed and timed-out mutants are detected, survived
// and uncovered ones undetected; mutants that do not compile, are ignored or were not run count
// for neither (Stryker's "mutation score").

export const TARGETS = { 'src/engine': 80, 'src/translate': 80, 'src/completions': 70, 'src/models': 70, 'src/host': 70 };

/**
 * @param {{ files: Record<string, { mutants: { status: string }[] }> }} report
 * @returns {{ folder: string, target: number, killed: number, timeout: number, survived: number, noCoverage: number, score: number | undefined }[]}
 */
export function folderScores(report) {
  return Object.entries(TARGETS).map(([folder, target]) => {
    const mutants = Object.entries(report.files)
      .filter(([file]) => file.replace(/\\/g, '/').startsWith(`${folder}/`))
      .flatMap(([, file]) => file.mutants);
    const counts = countStatuses(mutants);
    return { folder, target, ...counts, score: scoreOf(counts) };
  });
}

/** Killed, timed-out, surviving and uncovered mutants; other statuses count for none. */
export function countStatuses(mutants) {
  const counts = { killed: 0, timeout: 0, survived: 0, noCoverage: 0 };
  for (const { status } of mutants) {
    if (status === 'Killed') counts.killed++;
    else if (status === 'Timeout') counts.timeout++;
    else if (status === 'Survived') counts.survived++;
    else if (status === 'NoCoverage') counts.noCoverage++;
  }
  return counts;
}

/** Detected over detected and undetected, in percent; undefined when there is nothing to score. */
export function scoreOf({ killed, timeout, survived, noCoverage }) {
  const detected = killed + timeout;
  const total = detected + survived + noCoverage;
  return total === 0 ? undefined : (100 * detected) / total;
}

/** One line per folder: score, target, and the counts behind the score. */
export function formatScores(scores) {
  const lines = scores.map((s) => {
    const score = s.score === undefined ? '   –  ' : `${s.score.toFixed(1).padStart(5)}%`;
    const verdict = s.score === undefined ? 'not measured' : s.score >= s.target ? 'meets' : 'BELOW';
    return `  ${s.folder.padEnd(16)} ${score}  target ${s.target}% ${verdict.padEnd(12)} killed ${s.killed}, timeout ${s.timeout}, survived ${s.survived}, no coverage ${s.noCoverage}`;
  });
  return lines.join('\n');
}
