// Signals sent to a foreground `run` or `exec`, passed on to the container's process.

export interface SignalForwarder {
  /** The process is released: send what was queued, and forward from now on. */
  released(): void;
  /** Take the handlers away again. */
  stop(): void;
}

/**
 * Forward the signals a caller sends to `tsrun run` or `exec` to the
 * container's process. Installed before that process is released: a caller
 * that signals as soon as the payload speaks would otherwise meet Node's
 * default action and kill tsrun itself.
 * Until released() they are queued, as runc's signal handler queues them, so
 * none reaches the process before its execve.
 */
export function forwardSignals(pid: number, signals: NodeJS.Signals[]): SignalForwarder {
  let queue: NodeJS.Signals[] | null = [];
  const send = (sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      /* it exited */
    }
  };
  const handlers = signals.map((sig) => {
    const h = () => (queue ? queue.push(sig) : send(sig));
    process.on(sig, h);
    return [sig, h] as const;
  });
  return {
    released() {
      const q = queue ?? [];
      queue = null;
      for (const sig of q) send(sig);
    },
    stop() {
      for (const [sig, h] of handlers) process.off(sig, h);
    },
  };
}

