/** Tiny helpers shared by the benchmark scripts. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function report(title: string, rows: readonly (readonly [string, number, string])[]): void {
  console.log(`\n${title}`);
  for (const [label, value, unit] of rows) console.log(`  ${label.padEnd(46)} ${value.toFixed(value < 10 ? 2 : 1).padStart(9)} ${unit}`);
}
