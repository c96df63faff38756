// Shapes on a plane: enough code to select a few hundred tokens and inspect their attention
// ("Tealeaf: Inspect Attention", Ctrl/Cmd+Alt+A).
import { add, distance, scale, type Point } from './geometry';

export type Shape =
  | { readonly kind: 'circle'; readonly centre: Point; readonly radius: number }
  | { readonly kind: 'rectangle'; readonly corner: Point; readonly width: number; readonly height: number }
  | { readonly kind: 'polygon'; readonly points: readonly Point[] };

export function area(shape: Shape): number {
  switch (shape.kind) {
    case 'circle':
      return Math.PI * shape.radius * shape.radius;
    case 'rectangle':
      return shape.width * shape.height;
    case 'polygon': {
      let sum = 0;
      for (let i = 0; i < shape.points.length; i++) {
        const a = shape.points[i]!;
        const b = shape.points[(i + 1) % shape.points.length]!;
        sum += a.x * b.y - b.x * a.y;
      }
      return Math.abs(sum) / 2;
    }
  }
}

export function perimeter(shape: Shape): number {
  switch (shape.kind) {
    case 'circle':
      return 2 * Math.PI * shape.radius;
    case 'rectangle':
      return 2 * (shape.width + shape.height);
    case 'polygon': {
      let total = 0;
      for (let i = 0; i < shape.points.length; i++) {
        total += distance(shape.points[i]!, shape.points[(i + 1) % shape.points.length]!);
      }
      return total;
    }
  }
}

export function translate(shape: Shape, by: Point): Shape {
  switch (shape.kind) {
    case 'circle':
      return { ...shape, centre: add(shape.centre, by) };
    case 'rectangle':
      return { ...shape, corner: add(shape.corner, by) };
    case 'polygon':
      return { ...shape, points: shape.points.map((p) => add(p, by)) };
  }
}

export function grow(shape: Shape, factor: number): Shape {
  switch (shape.kind) {
    case 'circle':
      return { ...shape, radius: shape.radius * factor };
    case 'rectangle':
      return { ...shape, width: shape.width * factor, height: shape.height * factor };
    case 'polygon': {
      const centre = scale(shape.points.reduce((acc, p) => add(acc, p), { x: 0, y: 0 }), 1 / shape.points.length);
      return { ...shape, points: shape.points.map((p) => add(centre, scale(add(p, scale(centre, -1)), factor))) };
    }
  }
}

export function boundingBox(shape: Shape): { readonly min: Point; readonly max: Point } {
  switch (shape.kind) {
    case 'circle':
      return {
        min: { x: shape.centre.x - shape.radius, y: shape.centre.y - shape.radius },
        max: { x: shape.centre.x + shape.radius, y: shape.centre.y + shape.radius },
      };
    case 'rectangle':
      return { min: shape.corner, max: { x: shape.corner.x + shape.width, y: shape.corner.y + shape.height } };
    case 'polygon': {
      const xs = shape.points.map((p) => p.x);
      const ys = shape.points.map((p) => p.y);
      return { min: { x: Math.min(...xs), y: Math.min(...ys) }, max: { x: Math.max(...xs), y: Math.max(...ys) } };
    }
  }
}

export function largest(shapes: readonly Shape[]): Shape | undefined {
  let best: Shape | undefined;
  for (const shape of shapes) {
    if (best === undefined || area(shape) > area(best)) best = shape;
  }
  return best;
}
