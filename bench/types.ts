/** One line of the bench table. `ratio` is measured / reference, both from the same run. */
export interface BenchRow {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly reference?: number;
  readonly referenceName?: string;
  readonly ratio?: number;
  /** Human-readable goal, e.g. "< 50 ms" or "ratio ≤ 1.2". */
  readonly goal?: string;
  readonly pass?: boolean;
}
