// Small wording helpers shared by the core's messages and headlines.

/** "1 policy", "2 policies": the count with the word that fits it. */
export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
