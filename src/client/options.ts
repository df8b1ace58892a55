/** Bounds on the work a client accepts to do for one answer from a node. */
export interface ClientOptions {
  /**
   * Headers a proof of commit may carry from the proven block up to the committed block D
   * (D's child is not counted). One when the proven block's own child is one round later,
   * the usual case; more only after failed rounds. A node that serves more makes the
   * client hash more, so it is refused.
   */
  maxCommitChainHeaders: number;
}

export const DEFAULT_CLIENT_OPTIONS: Readonly<ClientOptions> = Object.freeze({
  maxCommitChainHeaders: 64,
});
