// The models shipped with the extension and the npm package, as paths relative to the package root.
// Every default falls back to them: the extension's model manager, the CLI, Manage Models and the
// completion menu. scripts/package.mjs, which cannot import TypeScript, names the same two folders.

/** Folder of the bundled models; a completion menu lists every decoder in it. */
export const BUNDLED_MODELS_FOLDER = 'models';
/** Decoder-only code model: completions, and the inspector's default. */
export const BUNDLED_CODE_MODEL = `${BUNDLED_MODELS_FOLDER}/tealeaf-code`;
/** English↔German encoder-decoder. */
export const BUNDLED_TRANSLATE_MODEL = `${BUNDLED_MODELS_FOLDER}/tealeaf-translate`;
