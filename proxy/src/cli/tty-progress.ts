// A spinner on stderr while waiting, only when stdout is a terminal (piped or scripted runs get no animation).

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Progress {
  stop(): void;
}

export function startProgress(text: string, stream: NodeJS.WriteStream = process.stderr, isTTY = process.stdout.isTTY === true && process.stderr.isTTY === true): Progress {
  if (!isTTY) return { stop: () => undefined };
  let frame = 0;
  const timer = setInterval(() => stream.write(`\r${FRAMES[frame++ % FRAMES.length] ?? ''} ${text}`), 100);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      stream.write('\r\x1b[2K');
    },
  };
}
