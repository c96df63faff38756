// What the user is told about the engine's lifecycle (its process or its panel): a status bar notice and a log line
// per event. Pure (unit-tested); src/models/engineLifecycle.ts puts them on screen.
import type { EngineLifecycleEvent, InterruptedRequest } from '../host/lifecycle';

export interface EngineNotice {
  /** Status bar text with codicons. */
  readonly text: string;
  /** Markdown tooltip. */
  readonly tooltip: string;
  readonly severity: 'info' | 'warning' | 'error';
  /** How long the notice stays; undefined: until the next event (a stopped engine). */
  readonly hideAfterMs?: number;
}

export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly text: string;
}

/** The notice for an event; undefined when the status bar should show nothing (a normal start). */
export function engineNotice(event: EngineLifecycleEvent, at: Date): EngineNotice | undefined {
  const time = at.toLocaleTimeString();
  switch (event.kind) {
    case 'crashed':
      if (!event.restarting) {
        return {
          text: '$(error) Tealeaf engine stopped',
          tooltip: `**The Tealeaf engine stopped** at ${time}: ${event.reason}.\n\n${stopAdvice(event.crashesInWindow)}\n\nClick to restart it.`,
          severity: 'error',
        };
      }
      return {
        text: '$(debug-restart) Tealeaf engine restarted',
        tooltip: [
          `**The Tealeaf engine stopped** at ${time} (${event.reason}) and a new one started.`,
          'Models load again on their next use.',
          ...(event.interrupted.length > 0 ? [`Interrupted: ${interruptedText(event.interrupted)}.`] : []),
        ].join('\n\n'),
        severity: 'warning',
        hideAfterMs: 30_000,
      };
    case 'started':
      if (event.cause === 'backend') {
        return {
          text: '$(debug-restart) Tealeaf engine restarted',
          tooltip: `The Tealeaf engine restarted at ${time} with the ${event.backend ?? 'auto'} backend (tealeaf.engine.backend). Models load again on their next use.`,
          severity: 'info',
          hideAfterMs: 10_000,
        };
      }
      if (event.cause !== 'threads') return undefined;
      return {
        text: '$(debug-restart) Tealeaf engine restarted',
        tooltip: `The Tealeaf engine restarted at ${time} with ${threadsText(event.threads)} (tealeaf.engine.threads). Models load again on their next use.`,
        severity: 'info',
        hideAfterMs: 10_000,
      };
    case 'modelReloaded':
    case 'notice':
      return undefined;
  }
}

export function engineLogLine(event: EngineLifecycleEvent): LogLine {
  switch (event.kind) {
    case 'started':
      return { level: 'info', text: `engine started (${event.cause}) with ${threadsText(event.threads)}${event.backend ? `, backend ${event.backend}` : ''}` };
    case 'crashed': {
      const interrupted = event.interrupted.length > 0 ? `; interrupted: ${interruptedText(event.interrupted)}` : '';
      return event.restarting
        ? { level: 'warn', text: `engine stopped (${event.reason}); a new one started, models load again on their next use${interrupted}` }
        : { level: 'error', text: `engine stopped (${event.reason}); ${stopAdvice(event.crashesInWindow)}${interrupted}` };
    }
    case 'modelReloaded':
      return { level: 'info', text: `reloaded ${event.modelDir} into the new engine in ${Math.round(event.ms)} ms` };
    case 'notice':
      return { level: event.level, text: event.text };
  }
}

function stopAdvice(crashes: number): string {
  return `It crashed ${crashes} times within a minute, so Tealeaf stopped restarting it; use Tealeaf: Restart Engine, Retry in the menu, or change a Tealeaf setting to start it again`;
}

function interruptedText(requests: readonly InterruptedRequest[]): string {
  return requests.map((r) => `${r.method} (${r.replayed ? 'run again' : 'failed once'})`).join(', ');
}

function threadsText(threads: number | undefined): string {
  return threads === undefined ? 'the default threads' : `${threads} thread${threads === 1 ? '' : 's'}`;
}
