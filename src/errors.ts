/**
 * Typed errors with stable codes. Every validation gate (gossip, HTTP, CLI, genesis,
 * keystore, store) throws a subclass of LedgerError so a caller can map it to a verdict
 * or an HTTP status without parsing messages, and a user sees `code: message`, never a
 * stack trace.
 */
export class LedgerError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Raised when a caller passes a value that does not have the required shape. */
export class InvalidInputError extends LedgerError {}
