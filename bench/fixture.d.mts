/** Builds a project with `count` sessions (`open` of them open, the rest archived); returns its root. */
export function makeFixture(count: number, open?: number): string;
