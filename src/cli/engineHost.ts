// The CLI's engine host: the extension's backend choice (`--backend wasm|native|auto`, default
// auto), with auto's measurements remembered per model and machine in the user's cache folder
// and the native addon's failure to load said once on stderr.
import * as os from 'node:os';
import * as path from 'node:path';
import type { EngineHost } from '../engine/types';
import { type BackendPreference, parseBackendPreference } from '../host/backendSelection';
import { createInProcessHost } from '../host/inProcessHost';

/** `$XDG_CACHE_HOME/tealeaf` (else ~/.cache/tealeaf; %LOCALAPPDATA%\tealeaf on Windows). */
export function cliCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || (process.platform === 'win32' && process.env.LOCALAPPDATA) || path.join(os.homedir(), '.cache');
  return path.join(base, 'tealeaf');
}

export function backendOption(value: string | undefined): BackendPreference {
  return value === undefined ? 'auto' : parseBackendPreference(value);
}

/** Each load names its backend (backendOption: auto unless --backend says otherwise). */
export function cliEngineHost(): EngineHost {
  return createInProcessHost({
    backendCacheFile: path.join(cliCacheDir(), 'backend-choices.json'),
    // What auto chose is in each command's output (--json `backend`); only a fallback is news.
    onNotice: (level, text) => {
      if (level === 'warn') process.stderr.write(`tealeaf: ${text}\n`);
    },
  });
}
