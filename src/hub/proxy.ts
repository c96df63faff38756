// Proxies as curl and the Hugging Face clients take them: one proxy URL (VS Code's `http.proxy`,
// else HTTPS_PROXY/HTTP_PROXY/ALL_PROXY), hosts in NO_PROXY bypass it. Plain http:// targets go
// through the proxy in absolute form; https:// targets through a CONNECT tunnel.
import * as net from 'node:net';
import { HubError } from './errors';

/** Whether NO_PROXY (comma-separated hosts, `.suffix`, `host:port`, or `*`) exempts this URL. */
export function bypassesProxy(target: URL, noProxy: string): boolean {
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const [pattern = '', entryPort] = entry.startsWith('[') ? [entry.slice(1, entry.indexOf(']')), entry.split(']:')[1]] : entry.split(':');
    if (entryPort && entryPort !== port) continue;
    const suffix = pattern.replace(/^\*?\./, '');
    if (host === suffix || host.endsWith(`.${suffix}`)) return true;
  }
  return false;
}

/** The proxy to use for `target`, or undefined to connect directly. */
export function proxyFor(target: URL, proxy: string | undefined, noProxy: string): URL | undefined {
  if (!proxy || bypassesProxy(target, noProxy)) return undefined;
  const url = new URL(proxy.includes('://') ? proxy : `http://${proxy}`);
  if (url.protocol !== 'http:') throw new HubError(`proxy ${url.origin}: only http:// proxies are supported`);
  return url;
}

/** `Proxy-Authorization` for a proxy URL with credentials in it. */
export function proxyAuthorization(proxy: URL): Record<string, string> {
  if (!proxy.username) return {};
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'Proxy-Authorization': `Basic ${Buffer.from(credentials).toString('base64')}` };
}

/** A TCP connection to `host:port` through the proxy's CONNECT method, ready for TLS (or any protocol). */
export function openTunnel(proxy: URL, host: string, port: number, signal?: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(proxy.port || 80), proxy.hostname);
    const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const headers = { Host: authority, ...proxyAuthorization(proxy) };
    const fail = (error: Error): void => {
      socket.destroy();
      reject(error);
    };
    const onAbort = (): void => fail(signal?.reason instanceof Error ? signal.reason : new HubError('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', (error) => fail(new HubError(`proxy ${proxy.host} could not be reached: ${error.message}`)));
    socket.once('connect', () => {
      socket.write(`CONNECT ${authority} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
    });
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      signal?.removeEventListener('abort', onAbort);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head.subarray(0, end).toString('latin1'))?.[1]);
      if (status !== 200) return fail(new HubError(`proxy ${proxy.host} refused the tunnel to ${authority} (HTTP ${status || 'garbled'})`));
      const rest = head.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      socket.removeAllListeners('error');
      resolve(socket);
    };
    socket.on('data', onData);
  });
}
