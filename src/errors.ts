/**
 * Typed errors. `src/main.ts` maps them to exit codes in one place (DESIGN.md rule 8); everything
 * else throws them with enough context for the message to stand on its own.
 */

/** Exit codes, after BSD sysexits as istioctl uses them (istioctl/cmd/sysexits.go). */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 64,
  data: 65,
  analysisIssues: 79,
  /** Interrupted by the user (Ctrl-C), as shells report SIGINT: 128 + 2. */
  interrupted: 130,
} as const;

/**
 * The user interrupted the run (Ctrl-C). Cluster commands throw it between requests; the message
 * says what had been done, so a rerun can be judged. Exit 130.
 */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
  constructor(message = 'interrupted') {
    super(message);
  }
}

/** Bad flags, arguments or combinations of them. Exit 64. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A position in a source file: 1-based line and column. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** Formats a position as `file:line:column`. */
export function formatPosition(pos: SourcePosition): string {
  return `${pos.file}:${pos.line}:${pos.column}`;
}

/**
 * Input that cannot be parsed or does not have the expected shape (YAML syntax, unknown fields,
 * not an IstioOperator). Exit 65. When a position is known the message starts with `file:line:column: `.
 */
export class DataError extends Error {
  override name = 'DataError';
  readonly position: SourcePosition | undefined;
  constructor(message: string, position?: SourcePosition) {
    super(position ? `${formatPosition(position)}: ${message}` : message);
    this.position = position;
  }
}

/**
 * A configuration value that cannot be rendered, found where its origin is unknown (the renderer
 * sees only the merged IstioOperator spec). `path` is relative to `spec`, as `--set` paths are
 * (`['components', 'cni', 'enabled']`). The configuration loader turns it into a DataError at the
 * value's `file:line:column` when an `-f` file set it, or a UsageError naming the `--set` flag;
 * otherwise it stays a usage error (exit 64).
 */
export class ConfigValueError extends UsageError {
  override name = 'ConfigValueError';
  readonly path: readonly (string | number)[];
  constructor(message: string, path: readonly (string | number)[]) {
    super(message);
    this.path = path;
  }
}

/** Findings at or above the failure threshold. Exit 79. */
export class AnalysisIssuesError extends Error {
  override name = 'AnalysisIssuesError';
}

/** Returns the exit code for an error thrown by a command. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) return ExitCode.usage;
  if (err instanceof DataError) return ExitCode.data;
  if (err instanceof AnalysisIssuesError) return ExitCode.analysisIssues;
  if (err instanceof InterruptedError) return ExitCode.interrupted;
  return ExitCode.failure;
}
