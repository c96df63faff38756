// Where the Hub is and how to talk to it, from the same environment variables the Python and
// JavaScript Hugging Face clients read, with explicit overrides from the editor's settings.
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getHFHubCachePath } from '@huggingface/hub';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

export interface HubEnvironment {
  /** Hub origin without a trailing slash (`HF_ENDPOINT` for mirrors). */
  readonly endpoint: string;
  /** `models--owner--name/…` folders live here. */
  readonly cacheDir: string;
  /** Use only the cache, never the network. */
  readonly offline: boolean;
  /** Access token for gated and private repositories. */
  readonly token?: string;
  /** Proxy URL for all requests that NO_PROXY does not exempt; undefined: direct. */
  readonly proxy?: string;
  /** Hosts that bypass the proxy (`NO_PROXY`). */
  readonly noProxy: string;
}

export interface HubOverrides {
  readonly cacheDir?: string;
  readonly offline?: boolean;
  readonly token?: string;
  readonly proxy?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function truthy(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
}

function expandHome(value: string): string {
  return value === '~' || value.startsWith('~/') ? path.join(os.homedir(), value.slice(1)) : value;
}

/** `$HF_HOME/token`, where `huggingface-cli login` (and `hf auth login`) keep the token. */
function storedToken(env: Env): string | undefined {
  const home = env['HF_HOME'] ?? path.join(env['XDG_CACHE_HOME'] ?? path.join(os.homedir(), '.cache'), 'huggingface');
  try {
    return readFileSync(env['HF_TOKEN_PATH'] ?? path.join(home, 'token'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The proxy for https requests as curl and the Hugging Face clients read it (lower case first). */
function proxyFromEnv(env: Env): string | undefined {
  for (const name of ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY']) {
    const value = env[name];
    if (value) return value;
  }
  return undefined;
}

export function hubEnvironment(overrides: HubOverrides = {}, env: Env = process.env): HubEnvironment {
  const endpoint = (env['HF_ENDPOINT'] || DEFAULT_ENDPOINT).replace(/\/+$/, '');
  // getHFHubCachePath reads process.env itself; an explicit HF_HUB_CACHE/HF_HOME in `env` wins for callers that pass one.
  const envCache = env['HF_HUB_CACHE'] ?? (env['HF_HOME'] ? path.join(env['HF_HOME'], 'hub') : undefined);
  const cacheDir = path.resolve(expandHome(overrides.cacheDir || envCache || getHFHubCachePath()));
  const offline = overrides.offline === true || truthy(env['HF_HUB_OFFLINE']);
  const token = overrides.token || env['HF_TOKEN'] || storedToken(env);
  const proxy = overrides.proxy || proxyFromEnv(env);
  const noProxy = env['no_proxy'] ?? env['NO_PROXY'] ?? '';
  return { endpoint, cacheDir, offline, noProxy, ...(token ? { token } : {}), ...(proxy ? { proxy } : {}) };
}
