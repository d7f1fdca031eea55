/**
 * What every analytics CLI does with its arguments before its own work:
 * `--help` (or `-h`) prints the usage on stdout and exits 0; a bad or missing
 * argument prints the problem and the usage on stderr and exits 2.
 */

/** True, once the usage is printed on stdout, when the arguments ask for help. */
export function printedHelp(usage: string, args: readonly string[] = process.argv.slice(2)): boolean {
  if (!args.includes('--help') && !args.includes('-h')) return false;
  process.stdout.write(`${usage}\n`);
  return true;
}

/** Writes the problem (if any) and the usage on stderr; returns the exit code for bad arguments, 2. */
export function usageError(usage: string, problem?: string): number {
  process.stderr.write(problem === undefined ? `${usage}\n` : `${problem}\n${usage}\n`);
  return 2;
}
