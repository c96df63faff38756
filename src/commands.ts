// Every command id Tealeaf registers or runs, in one place. package.json declares the same ids under
// contributes.commands (test/unit/commands.test.ts keeps the two equal), except the internal one.
// Pure: no vscode, so unit tests read it without a VS Code stub.

export const COMMANDS = {
  translateToGerman: 'tealeaf.translateToGerman',
  translateToEnglish: 'tealeaf.translateToEnglish',
  /** Translate, choosing the direction. */
  translate: 'tealeaf.translate',
  toggleCompletions: 'tealeaf.toggleCompletions',
  /** The completions status bar item's menu. */
  completionMenu: 'tealeaf.completionMenu',
  inspectAttention: 'tealeaf.inspectAttention',
  /** "Why this suggestion?": takes the completions feature's CompletionExplainTarget, or an attention id. */
  explainCompletion: 'tealeaf.explainCompletion',
  showTranslationAttention: 'tealeaf.showTranslationAttention',
  freeInspectorMemory: 'tealeaf.freeInspectorMemory',
  downloadModel: 'tealeaf.downloadModel',
  signInHuggingFace: 'tealeaf.signInHuggingFace',
  manageModels: 'tealeaf.manageModels',
  restartEngine: 'tealeaf.restartEngine',
  /** Internal (not in the palette): the translation feature calls it with a TranslateResult.attentionId. */
  inspectTranslation: 'tealeaf.inspectTranslation',
} as const;

/** Commands that package.json does not declare: run by Tealeaf itself, never by the user. */
export const INTERNAL_COMMANDS: ReadonlySet<string> = new Set([COMMANDS.inspectTranslation]);
