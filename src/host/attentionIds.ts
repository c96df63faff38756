// Attention ids that stay unambiguous across worker restarts. The engine numbers its captured
// attentions from 1 in every worker, so after a restart the new worker's id 1 is a different
// generation than the old worker's id 1: a "Why this suggestion?" for the old suggestion would
// show the new one. The proxy hands out its own ids and remembers which worker each came from.

interface IssuedId {
  /** The worker that captured it. */
  readonly generation: number;
  /** The engine's own id in that worker. */
  readonly engineId: number;
}

export class AttentionIds {
  private readonly issued = new Map<number, IssuedId>();
  private next = 1;

  /** The engine keeps only its latest capture; a few more ids than that are plenty. */
  constructor(private readonly keep = 16) {}

  /** A proxy id for the engine's `engineId`, captured in worker `generation`. */
  issue(generation: number, engineId: number): number {
    const id = this.next++;
    this.issued.set(id, { generation, engineId });
    if (this.issued.size > this.keep) this.issued.delete(this.issued.keys().next().value as number);
    return id;
  }

  /** The engine's id for a proxy id, or undefined when it came from another worker (or is unknown). */
  resolve(id: number, generation: number): number | undefined {
    const issued = this.issued.get(id);
    return issued?.generation === generation ? issued.engineId : undefined;
  }
}
