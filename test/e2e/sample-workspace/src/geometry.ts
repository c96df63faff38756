// A small TypeScript file to try Tealeaf's inline completions on: put the cursor at the end of a
// line inside a function body and wait for the ghost text, then press Tab to accept it.

export interface Point {
  readonly x: number;
  readonly y: number;
}

export function add(a: Point, b: Point): Point {
  return { x: a.x + b.x, y: a.y + b.y };
}

export function scale(p: Point, factor: number): Point {
  return { x: p.x * factor, y: p.y * factor };
}

export function distance(a: Point, b: Point): number {
  const dx = a.x - b.x;
  const dy = a.y - b.y;
  return Math.sqrt(dx * dx + dy * dy);
}

export function midpoint(a: Point, b: Point): Point {
  
}
