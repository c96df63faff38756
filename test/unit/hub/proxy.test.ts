// Downloads through an HTTP proxy (absolute-form requests for http targets, a CONNECT tunnel for
// https ones), NO_PROXY bypassing it, and proxy credentials.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { downloadModel } from '../../../src/hub/downloadModel';
import { hubEnvironment } from '../../../src/hub/environment';
import { openTunnel } from '../../../src/hub/proxy';
import { FIXTURE_REPOS, type MockHub, startMockHub } from './mockHub';

interface ProxyLog {
  readonly method: string;
  readonly target: string;
  readonly authorization?: string;
}

/** A forwarding proxy as squid is one: absolute-form requests are relayed, CONNECT opens a tunnel. */
async function startProxy(): Promise<{ url: string; log: ProxyLog[]; close(): Promise<void> }> {
  const log: ProxyLog[] = [];
  const server = http.createServer((req, res) => {
    log.push({ method: req.method ?? '', target: req.url ?? '', ...(req.headers['proxy-authorization'] ? { authorization: req.headers['proxy-authorization'] } : {}) });
    const target = new URL(req.url ?? '');
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const upstream = http.request({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    log.push({ method: 'CONNECT', target: req.url ?? '', ...(req.headers['proxy-authorization'] ? { authorization: req.headers['proxy-authorization'] } : {}) });
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('downloads through a proxy', () => {
  let hub: MockHub;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let cacheDir: string;
  before(async () => {
    hub = await startMockHub({ repos: FIXTURE_REPOS });
    proxy = await startProxy();
    cacheDir = mkdtempSync(path.join(tmpdir(), 'tealeaf-proxy-'));
  });
  after(async () => {
    await hub.close();
    await proxy.close();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('every request, to the Hub and to its file host, goes through HTTPS_PROXY', async () => {
    const env = hubEnvironment({ cacheDir: path.join(cacheDir, 'a') }, { HF_ENDPOINT: hub.endpoint, HTTPS_PROXY: proxy.url });
    hub.requests.length = 0;
    proxy.log.length = 0;
    const result = await downloadModel(env, { repo: 'Xenova/gpt2', revision: 'main', dtype: 'q8' });
    assert.ok(result.downloadedBytes > 0);
    assert.equal(proxy.log.length, hub.requests.length);
    assert.ok(proxy.log.some((r) => r.target.startsWith(hub.fileHost)), 'the file host was reached directly');
    assert.ok(proxy.log.every((r) => r.target.startsWith(hub.endpoint) || r.target.startsWith(hub.fileHost)));
  });

  it('NO_PROXY exempts the hosts it names', async () => {
    const env = hubEnvironment({ cacheDir: path.join(cacheDir, 'b') }, { HF_ENDPOINT: hub.endpoint, HTTPS_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' });
    proxy.log.length = 0;
    await downloadModel(env, { repo: 'Xenova/gpt2', revision: 'main', dtype: 'q8' });
    assert.deepEqual(proxy.log, []);
  });

  it('opens a CONNECT tunnel (the https path) with the proxy credentials of the URL', async () => {
    const target = new URL(hub.endpoint);
    proxy.log.length = 0;
    const socket = await openTunnel(new URL(proxy.url.replace('http://', 'http://user:p%40ss@')), target.hostname, Number(target.port));
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('end', () => resolve(text));
      socket.write(`GET /api/models/Xenova/gpt2/revision/main?expand=sha HTTP/1.1\r\nHost: ${target.host}\r\nConnection: close\r\n\r\n`);
    });
    assert.match(answer, /^HTTP\/1\.1 200 OK/);
    assert.ok(answer.includes(`"sha":"${hub.commitOf('Xenova/gpt2')}"`));
    assert.deepEqual(proxy.log, [{ method: 'CONNECT', target: `${target.hostname}:${target.port}`, authorization: `Basic ${Buffer.from('user:p@ss').toString('base64')}` }]);
  });
});
