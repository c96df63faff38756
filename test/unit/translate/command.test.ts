// The translate command's orchestration with a fake engine and fake ports: cancel writes nothing,
// a changed document writes nothing, all selections go out in one write, unsupported directions
// and engine failures become clear messages.
import { fakeTranslatorInfo } from '../fakeModelInfo';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AbortError, ModelError, throwIfAborted } from '../../../src/engine/errors';
import type { ModelInfo, TranslateRequest, TranslateResult } from '../../../src/engine/types';
import {
  outcomeMessage,
  runTranslateCommand,
  type Replacement,
  type TranslateJob,
  type TranslatePorts,
  type TranslationEngine,
  type WriteResult,
} from '../../../src/translate/command';

function info(overrides: Partial<ModelInfo> = {}): ModelInfo {
  return fakeTranslatorInfo({ id: '/models/fake', name: 'fake-mt', ...overrides });
}

const DICTIONARY: Readonly<Record<string, string>> = {
  'Hello world.': 'Hallo Welt.',
  'Good morning.': 'Guten Morgen.',
  'Save the file.': 'Datei speichern.',
};

/** Looks sentences up; optionally waits for `gate` before answering (to cancel mid-way). */
function fakeEngine(options: { gate?: () => Promise<void>; modelInfo?: ModelInfo } = {}): TranslationEngine & { requests: TranslateRequest[] } {
  const requests: TranslateRequest[] = [];
  return {
    info: options.modelInfo ?? info(),
    requests,
    async translate(request: TranslateRequest, call?: { signal?: AbortSignal }): Promise<TranslateResult> {
      requests.push(request);
      await options.gate?.();
      throwIfAborted(call?.signal);
      const target = DICTIONARY[request.text] ?? request.text.toUpperCase();
      return { source: request.text, target, tokens: [], ms: 1 };
    },
  };
}

interface Recorder {
  writes: Replacement[][];
  progress: number[];
}

function ports(engine: TranslationEngine, recorder: Recorder, control: { abortAfterUnits?: number; write?: WriteResult } = {}): TranslatePorts {
  return {
    engine: async () => engine,
    async withProgress(_title, task) {
      const controller = new AbortController();
      return task((fraction) => {
        recorder.progress.push(fraction);
        // The user presses Cancel after N units were reported.
        if (control.abortAfterUnits !== undefined && recorder.progress.length - 1 >= control.abortAfterUnits) controller.abort();
      }, controller.signal);
    },
    async write(replacements) {
      recorder.writes.push([...replacements]);
      return control.write ?? 'written';
    },
  };
}

function job(document: string, selections: TranslateJob['selections'], overrides: Partial<TranslateJob> = {}): TranslateJob {
  return { document, languageId: 'plaintext', selections, pair: { from: 'en', to: 'de' }, beams: 1, codeAware: true, ...overrides };
}

describe('translate command', () => {
  it('replaces the selection in one write with the engine output', async () => {
    const recorder: Recorder = { writes: [], progress: [] };
    const engine = fakeEngine();
    const text = 'Intro: Hello world. Good morning.\n';
    const start = text.indexOf('Hello');
    const outcome = await runTranslateCommand(job(text, [{ start, end: text.length }]), ports(engine, recorder));
    assert.equal(outcome.kind, 'translated');
    assert.deepEqual(recorder.writes, [[{ span: { start, end: text.length }, text: 'Hallo Welt. Guten Morgen.\n' }]]);
    assert.deepEqual(engine.requests.map((r) => [r.text, r.from, r.to, r.beams]), [
      ['Hello world.', 'en', 'de', 1],
      ['Good morning.', 'en', 'de', 1],
    ]);
    assert.deepEqual(recorder.progress, [0, 12 / 25, 1]);
  });

  it('writes all selections together (one edit, one undo)', async () => {
    const recorder: Recorder = { writes: [], progress: [] };
    const text = 'Hello world.\nkeep\nSave the file.';
    const outcome = await runTranslateCommand(
      job(text, [{ start: 0, end: 12 }, { start: 18, end: text.length }]),
      ports(fakeEngine(), recorder),
    );
    assert.equal(outcome.kind, 'translated');
    assert.equal(recorder.writes.length, 1);
    assert.deepEqual(recorder.writes[0]?.map((r) => r.text), ['Hallo Welt.', 'Datei speichern.']);
  });

  it('shows one progress over all selections under a title naming the direction, and counts the units it translated', async () => {
    const shown: { title: string; steps: [number, string][] } = { title: '', steps: [] };
    const text = 'Hello world.\nkeep\nSave the file. Save the file. Good morning.';
    const before = Date.now();
    const outcome = await runTranslateCommand(job(text, [{ start: 0, end: 12 }, { start: 18, end: text.length }]), {
      ...ports(fakeEngine(), { writes: [], progress: [] }),
      async withProgress(title, task) {
        shown.title = title;
        return task((fraction, message) => shown.steps.push([fraction, message]), new AbortController().signal);
      },
    });
    const elapsed = Date.now() - before;
    assert.equal(shown.title, 'Tealeaf: translating English → German');
    // 12 characters in the first selection, 14 + 13 in the second (its repeated sentence counts once).
    assert.deepEqual(shown.steps, [
      [0, 'loading the translation model…'],
      [12 / 39, '31 %'],
      [26 / 39, '67 %'],
      [1, '100 %'],
    ]);
    assert.equal(outcome.kind, 'translated');
    assert.deepEqual({ ...outcome, ms: 0 }, {
      kind: 'translated',
      replacements: [
        { span: { start: 0, end: 12 }, text: 'Hallo Welt.' },
        { span: { start: 18, end: text.length }, text: 'Datei speichern. Datei speichern. Guten Morgen.' },
      ],
      units: 3,
      ms: 0,
    });
    // The time it took: no more than the call's own.
    assert.ok(outcome.ms >= 0 && outcome.ms <= elapsed, `${outcome.ms} ms of ${elapsed}`);
  });

  it('tells the repair port about each sentence whose placeholders had to be repaired', async () => {
    const recorder: Recorder = { writes: [], progress: [] };
    const engine: TranslationEngine = {
      info: info(),
      async translate(request: TranslateRequest): Promise<TranslateResult> {
        // Drops the placeholder of the whole sentence; the runs around it are then translated one by one.
        const table: Readonly<Record<string, string>> = { 'Open {0} now.': 'Jetzt öffnen.', Open: 'Öffne', 'now.': 'jetzt.' };
        return { source: request.text, target: table[request.text] ?? request.text, tokens: [], ms: 1 };
      },
    };
    const repaired: string[] = [];
    const outcome = await runTranslateCommand(job('Open {name} now.', [{ start: 0, end: 16 }]), {
      ...ports(engine, recorder),
      onRepair: (report) => repaired.push(`${report.source} → ${report.result} (${report.fallback})`),
    });
    assert.equal(outcome.kind, 'translated');
    assert.deepEqual(repaired, ['Open {name} now. → Öffne {name} jetzt. (between-placeholders)']);
    assert.deepEqual(recorder.writes, [[{ span: { start: 0, end: 16 }, text: 'Öffne {name} jetzt.' }]]);
  });

  it('cancel during the translation writes nothing', async () => {
    const recorder: Recorder = { writes: [], progress: [] };
    const engine = fakeEngine();
    const text = 'Hello world. Good morning. Save the file.';
    const outcome = await runTranslateCommand(job(text, [{ start: 0, end: text.length }]), ports(engine, recorder, { abortAfterUnits: 1 }));
    assert.equal(outcome.kind, 'cancelled');
    assert.deepEqual(recorder.writes, []);
    assert.equal(engine.requests.length, 1, 'no unit is sent after the cancel');
    assert.equal(outcomeMessage(outcome), undefined);
  });

  it('cancel while the engine is busy (the engine sees the abort) writes nothing', async () => {
    const recorder: Recorder = { writes: [], progress: [] };
    let abort: (() => void) | undefined;
    const engine = fakeEngine({
      gate: async () => {
        abort?.();
      },
    });
    const base = ports(engine, recorder);
    const outcome = await runTranslateCommand(job('Hello world.', [{ start: 0, end: 12 }]), {
      ...base,
      async withProgress(_title, task) {
        const controller = new AbortController();
        abort = () => controller.abort();
        return task(() => undefined, controller.signal);
      },
    });
    assert.equal(outcome.kind, 'cancelled');
    assert.deepEqual(recorder.writes, []);
  });

  it('an engine that rejects with AbortError counts as a cancel', async () => {
    const recorder: Recorder = { writes: [], progress: [] };
    const engine: TranslationEngine = {
      info: info(),
      translate: async () => {
        throw new AbortError();
      },
    };
    const outcome = await runTranslateCommand(job('Hello world.', [{ start: 0, end: 12 }]), ports(engine, recorder));
    assert.equal(outcome.kind, 'cancelled');
    assert.deepEqual(recorder.writes, []);
  });

  it('reports a document changed meanwhile', async () => {
    const recorder: Recorder = { writes: [], progress: [] };
    const outcome = await runTranslateCommand(job('Hello world.', [{ start: 0, end: 12 }]), ports(fakeEngine(), recorder, { write: 'document-changed' }));
    assert.equal(outcome.kind, 'document-changed');
    assert.match(outcomeMessage(outcome)?.text ?? '', /nothing was replaced/);
  });

  it('does not load the engine for an empty selection or code without comments and strings', async () => {
    let loads = 0;
    const recorder: Recorder = { writes: [], progress: [] };
    const counting: TranslatePorts = { ...ports(fakeEngine(), recorder), engine: async () => (loads++, fakeEngine()) };
    assert.equal((await runTranslateCommand(job('Hello world.', [{ start: 3, end: 3 }]), counting)).kind, 'empty-selection');
    const code = 'const x = foo(bar);';
    const outcome = await runTranslateCommand(job(code, [{ start: 0, end: code.length }], { languageId: 'typescript' }), counting);
    assert.equal(outcome.kind, 'nothing-to-translate');
    assert.match(outcomeMessage(outcome)?.text ?? '', /tealeaf\.translate\.codeAware/);
    assert.equal(loads, 0);
    assert.deepEqual(recorder.writes, []);
  });

  it('refuses a direction the model does not translate, naming the ones it does', async () => {
    const recorder: Recorder = { writes: [], progress: [] };
    const engine = fakeEngine({ modelInfo: info({ name: 'opus-mt-en-de', translationPairs: [{ from: 'en', to: 'de' }] }) });
    const outcome = await runTranslateCommand(job('Hallo Welt.', [{ start: 0, end: 11 }], { pair: { from: 'de', to: 'en' } }), ports(engine, recorder));
    assert.deepEqual(outcome, {
      kind: 'unsupported-pair',
      message: 'opus-mt-en-de does not translate German → English (it translates English → German).',
    });
    assert.deepEqual(outcomeMessage(outcome), {
      level: 'error',
      text: 'Tealeaf: opus-mt-en-de does not translate German → English (it translates English → German).',
    });
    assert.deepEqual(engine.requests, []);
    assert.deepEqual(recorder.writes, []);
  });

  it('names every direction the model offers, or says it declares none', async () => {
    const recorder: Recorder = { writes: [], progress: [] };
    const twoWays = fakeEngine({ modelInfo: info({ name: 'opus-mt', translationPairs: [{ from: 'en', to: 'de' }, { from: 'en', to: 'fr' }] }) });
    const german = job('Hallo Welt.', [{ start: 0, end: 11 }], { pair: { from: 'de', to: 'en' } });
    assert.deepEqual(await runTranslateCommand(german, ports(twoWays, recorder)), {
      kind: 'unsupported-pair',
      message: 'opus-mt does not translate German → English (it translates English → German, English → French).',
    });
    const none = fakeEngine({ modelInfo: info({ name: 'opus-mt', translationPairs: [] }) });
    assert.deepEqual(await runTranslateCommand(german, ports(none, recorder)), {
      kind: 'unsupported-pair',
      message: 'opus-mt does not translate German → English (it declares no languages).',
    });
    assert.deepEqual(recorder.writes, []);
  });

  it('turns a model that fails to load into one error line', async () => {
    const recorder: Recorder = { writes: [], progress: [] };
    const failing: TranslatePorts = {
      ...ports(fakeEngine(), recorder),
      engine: async () => {
        throw new ModelError('/models/x: config.json is missing');
      },
    };
    const outcome = await runTranslateCommand(job('Hello world.', [{ start: 0, end: 12 }]), failing);
    assert.deepEqual(outcomeMessage(outcome), { level: 'error', text: 'Tealeaf: translation failed: /models/x: config.json is missing' });
    assert.deepEqual(recorder.writes, []);
  });
});
