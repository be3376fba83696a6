// "The client left" as an AbortSignal that exists only if something asks for it. Nearly every request is decided
// without waiting on anything cancellable (only a Graph group lookup is), and an AbortController per request
// is an EventTarget built and dropped for nothing.

export class LazyAbort {
  private controller: AbortController | undefined;
  private left = false;

  get aborted(): boolean {
    return this.left;
  }

  /** The signal, made on first use; already aborted when the client left before anyone asked. */
  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    if (this.left && !this.controller.signal.aborted) this.controller.abort();
    return this.controller.signal;
  }

  abort(): void {
    if (this.left) return;
    this.left = true;
    this.controller?.abort();
  }
}
