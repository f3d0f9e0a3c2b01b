// In a file of its own: the RPC store's declarations reach it, and must not reach the Thrift
// mapping (whose types come from the generated code and npm thrift, which ship no declarations).

/** How a reply read in slices knows when to stop: its call's deadline, or the call ending first. */
export interface StreamControl {
  /** Ms since the epoch past which nothing more is read. */
  readonly deadlineAt: number;
  /** True once the call ended some other way (deadline timer, connection closed): stop reading. */
  readonly abandoned: boolean;
}
