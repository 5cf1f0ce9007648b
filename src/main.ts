/**
 * The process boundary: builds the program, runs it, maps errors to exit codes. The only place
 * that decides an exit code (DESIGN.md rules 1 and 8).
 */
import { CommanderError } from 'commander';
import { buildProgram } from './cli/program.js';
import type { Deps } from './deps.js';
import { ExitCode, exitCodeFor } from './errors.js';
import { systemDeps } from './system.js';

/**
 * Runs meshctl with `argv` (arguments after the program name) and returns the exit code:
 * 0 success, 1 failure, 64 usage error, 65 unparseable input, 79 analysis findings.
 */
export async function main(argv: readonly string[], deps: Deps): Promise<number> {
  const verbose = argv.includes('--verbose');
  const program = buildProgram(deps, argv);
  const report = (err: unknown) => {
    deps.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
    if (verbose && err instanceof Error && err.stack) deps.stderr.write(`${err.stack}\n`);
  };
  let code: number;
  try {
    await program.parseAsync([...argv], { from: 'user' });
    code = deps.exitCode ?? ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its message (help, version or a parse error).
      const shown = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help';
      code = shown ? ExitCode.ok : ExitCode.usage;
    } else {
      report(err);
      code = exitCodeFor(err);
    }
  }
  // A write error on stdout (a full disk) is reported and fails a run that had succeeded; a reader
  // gone away (EPIPE) is not an error.
  try {
    await deps.stdout.flush?.();
  } catch (err) {
    report(err);
    if (code === ExitCode.ok) code = exitCodeFor(err);
  }
  return code;
}

/** Entry point used by bin/meshctl: runs main with the real process. */
export async function run(): Promise<void> {
  // eslint-disable-next-line no-restricted-properties -- the one place argv is read
  const code = await main(process.argv.slice(2), systemDeps());
  process.exitCode = code;
}
