// Types of scripts/package.mjs, for the unit tests that import it.
export declare class PackageCheckError extends Error {}

/** path → lower-case sha256 hex, from `sha256sum` output. */
export declare function parseSha256Sums(text: string, source: string): Map<string, string>;

export declare function checkModelFolder(dir: string): Promise<{ files: number; bytes: number }>;

export declare function checkModels(options?: { allowMissing?: boolean; log?: (line: string) => void }): Promise<void>;

/** The VSIX's native files when they are exactly `target`'s (all of them none for 'universal'); else throws. */
export declare function checkNativeFiles(files: readonly string[], target: string): string[];

/** A --target value: a platform onnxruntime-node ships, or 'universal' (also for none). */
export declare function parseTarget(value: string | undefined): string;

export declare function packageVsix(options?: {
  out?: string;
  /** A VS Code platform target (linux-x64, …) for a platform-specific VSIX; default universal. */
  target?: string;
  allowMissingModels?: boolean;
  noBuild?: boolean;
  log?: (line: string) => void;
}): Promise<{ path: string; bytes: number; files: string[]; target: string }>;
