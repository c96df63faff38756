// HTTP requests to the Hub and its file host over node:http(s): redirects are not followed
// automatically (the Hub's answer before the redirect carries the commit and checksum headers),
// proxies are honoured, and the AbortSignal ends the request and its body.
import * as http from 'node:http';
import * as https from 'node:https';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import * as tls from 'node:tls';
import { HubError } from './errors';
import { openTunnel, proxyAuthorization, proxyFor } from './proxy';

export interface Transport {
  readonly proxy?: string;
  readonly noProxy: string;
  /** Sent as `Authorization: Bearer …`, only to this origin (the Hub), never to the file host it redirects to. */
  readonly token?: { readonly value: string; readonly origin: string };
}

export interface HttpRequest {
  readonly url: string;
  readonly method?: 'GET' | 'HEAD';
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

/** No byte for this long means a dead connection. */
const IDLE_TIMEOUT_MS = 30_000;
const USER_AGENT = 'tealeaf (+@huggingface/hub; node)';

function abortReason(signal: AbortSignal | undefined): Error {
  return signal?.reason instanceof Error ? signal.reason : new HubError('aborted');
}

/** One request, one response (redirects included, unfollowed). The body must be read or destroyed. */
export async function httpRequest(request: HttpRequest, transport: Transport): Promise<http.IncomingMessage> {
  const url = new URL(request.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new HubError(`refused ${url.protocol} URL ${url.href}: only http and https`);
  if (request.signal?.aborted) throw abortReason(request.signal);
  const headers: Record<string, string> = { 'User-Agent': USER_AGENT, ...request.headers };
  if (transport.token && url.origin === transport.token.origin) headers['Authorization'] = `Bearer ${transport.token.value}`;
  const proxy = proxyFor(url, transport.proxy, transport.noProxy);
  const secure = url.protocol === 'https:';
  const port = Number(url.port || (secure ? 443 : 80));
  let options: http.RequestOptions;
  if (proxy && !secure) {
    options = { host: proxy.hostname, port: Number(proxy.port || 80), path: url.href, headers: { ...headers, Host: url.host, ...proxyAuthorization(proxy) } };
  } else if (proxy) {
    const tunnel = await openTunnel(proxy, url.hostname, port, request.signal);
    const socket = tls.connect({ socket: tunnel, servername: url.hostname });
    options = { host: url.hostname, port, path: url.pathname + url.search, headers, agent: false, createConnection: () => socket };
  } else {
    options = { host: url.hostname, port, path: url.pathname + url.search, headers };
  }
  return new Promise((resolve, reject) => {
    const send = secure ? https.request : http.request;
    let received: http.IncomingMessage | undefined;
    // One listener per request, removed when the response is done, so long downloads do not pile them up on the signal.
    const onAbort = (): void => {
      const reason = abortReason(request.signal);
      req.destroy(reason);
      received?.destroy(reason);
    };
    const req = send({ ...options, method: request.method ?? 'GET' }, (response) => {
      received = response;
      response.once('close', () => request.signal?.removeEventListener('abort', onAbort));
      resolve(response);
    });
    request.signal?.addEventListener('abort', onAbort, { once: true });
    req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(new HubError(`no answer from ${url.host} within ${IDLE_TIMEOUT_MS / 1000} s`)));
    req.on('error', (error) => {
      request.signal?.removeEventListener('abort', onAbort);
      reject(error instanceof HubError || request.signal?.aborted ? error : new HubError(`could not reach ${url.host}: ${error.message}`));
    });
    req.end();
  });
}

/** Reads a whole (small) body as text. */
export async function readText(response: http.IncomingMessage, maxBytes = 16 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > maxBytes) {
      response.destroy();
      throw new HubError(`answer from ${response.headers.host ?? 'the Hub'} is over ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const MAX_REDIRECTS = 5;

/**
 * A `fetch` for @huggingface/hub's API calls over this transport (proxy, token, abort), following
 * redirects as fetch does. The library takes a fetch function for exactly this purpose.
 */
export function transportFetch(transport: Transport): typeof fetch {
  const fetchOver = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    let url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, key) => {
      headers[key] = value;
    });
    const method = init?.method === 'HEAD' ? 'HEAD' : 'GET';
    const signal = init?.signal ?? undefined;
    for (let hop = 0; ; hop++) {
      const response = await httpRequest({ url, method, headers, ...(signal ? { signal } : {}) }, transport);
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (status >= 300 && status < 400 && location && hop < MAX_REDIRECTS) {
        response.resume();
        url = new URL(location, url).href;
        continue;
      }
      const responseHeaders = new Headers();
      for (const [key, value] of Object.entries(response.headers)) {
        if (value !== undefined) responseHeaders.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      const noBody = method === 'HEAD' || status === 204 || status === 304;
      if (noBody) response.resume();
      const body = noBody ? null : (Readable.toWeb(response) as NodeReadableStream<Uint8Array> as unknown as ReadableStream<Uint8Array>);
      return new Response(body, { status, statusText: response.statusMessage ?? '', headers: responseHeaders });
    }
  };
  return fetchOver as typeof fetch;
}
