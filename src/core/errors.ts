/**
 * An error a user can meet and fix: its message says what is wrong and what to do next.
 * Anything else reaching the command wrapper is a bug and is logged with its stack.
 */
export class UserError extends Error {
  constructor(
    message: string,
    /** A stable code for tests and `--json` output, e.g. `KEY_TOO_SMALL`. */
    readonly code: string = 'USER_ERROR',
  ) {
    super(message);
    this.name = 'UserError';
  }
}
