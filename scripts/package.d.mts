// Types of scripts/package.mjs, for the unit tests that import it.
export declare class PackageCheckError extends Error {}

/** path → lower-case sha256 hex, from `sha256sum` output. */
export declare function parseSha256Sums(text: string, source: string): Map<string, string>;

export declare function checkModelFolder(dir: string): Promise<{ files: number; bytes: number }>;

export declare function checkModels(options?: { allowMissing?: boolean; log?: (line: string) => void }): Promise<void>;

export declare function packageVsix(options?: {
  out?: string;
  allowMissingModels?: boolean;
  noBuild?: boolean;
  log?: (line: string) => void;
}): Promise<{ path: string; bytes: number; files: string[] }>;
