/**
 * The CLI's standard streams and its progress indicator.
 *
 * Results go to stdout (so they can be piped); everything for the human at the terminal (progress,
 * notes, errors) goes to stderr.
 */

/** A writable text stream: `process.stdout`, `process.stderr` or a test double. */
export interface OutputStream {
  /** Writes text. */
  write(text: string): unknown;
  /** True when a terminal is attached; the progress indicator only animates then. */
  readonly isTTY?: boolean;
}

/** A readable stream: `process.stdin` or a test double. */
export interface InputStream extends NodeJS.ReadableStream {
  /** True when a terminal is attached. */
  readonly isTTY?: boolean;
  /** Switches a terminal to raw mode (no echo, no line buffering); present on TTY streams only. */
  setRawMode?(mode: boolean): unknown;
}

/** The three standard streams of one CLI run. */
export interface CliStreams {
  /** Where results go. */
  readonly stdout: OutputStream;
  /** Where progress, notes and errors go. */
  readonly stderr: OutputStream;
  /** Where passwords come from. */
  readonly stdin: InputStream;
}

/** A progress indicator for one wait. */
export interface Progress {
  /** Shows `text` while the indicator spins; replaces the previous text. */
  update(text: string): void;
  /** Stops the indicator and erases its line. Idempotent. */
  stop(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const FRAME_INTERVAL_MS = 80;
const CLEAR_LINE = '\r\x1b[2K';

/**
 * Starts a spinner on `stream` with `text`. On anything but a terminal it writes nothing at all, so
 * logs and pipes stay clean.
 */
export function startProgress(stream: OutputStream, text: string): Progress {
  if (stream.isTTY !== true) {
    return { update: () => undefined, stop: () => undefined };
  }
  let frame = 0;
  let current = text;
  const render = (): void => {
    stream.write(`${CLEAR_LINE}${FRAMES[frame % FRAMES.length]} ${current}`);
    frame++;
  };
  render();
  const timer = setInterval(render, FRAME_INTERVAL_MS);
  // A forgotten spinner must never keep the process alive.
  timer.unref();
  let stopped = false;
  return {
    update(next: string): void {
      current = next;
    },
    stop(): void {
      if (!stopped) {
        stopped = true;
        clearInterval(timer);
        stream.write(CLEAR_LINE);
      }
    },
  };
}

/** Runs `task` with a spinner showing `text` on `stream`, and always stops the spinner. */
export async function withProgress<T>(stream: OutputStream, text: string, task: (progress: Progress) => Promise<T>): Promise<T> {
  const progress = startProgress(stream, text);
  try {
    return await task(progress);
  } finally {
    progress.stop();
  }
}

/**
 * A value from outside (a `sub`, a user name, a reason) as a JSON string, with every character that could
 * rewrite the terminal or hide text (controls, bidi overrides, zero-width characters, line separators,
 * lone surrogates) escaped, so it prints as one visible line.
 */
export function quoted(value: string): string {
  return JSON.stringify(value).replace(UNPRINTABLE, escapeCharacter);
}

/** A text from outside with every character {@link quoted} escapes written as `\uXXXX`, without quotes around it. */
export function printable(value: string): string {
  return value.replace(UNPRINTABLE_OR_CONTROL, escapeCharacter);
}

const UNPRINTABLE = /[\p{Cf}\p{Cs}\u2028\u2029]/gu;
const UNPRINTABLE_OR_CONTROL = /[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]/gu;
const escapeCharacter = (character: string): string => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * Reads the whole of standard input as UTF-8.
 *
 * @param maxBytes stop reading after this many bytes
 * @returns the text, or `undefined` when standard input holds more than `maxBytes`
 */
export async function readStdin(streams: CliStreams): Promise<string>;
export async function readStdin(streams: CliStreams, maxBytes: number): Promise<string | undefined>;
export async function readStdin(streams: CliStreams, maxBytes = Infinity): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of streams.stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > maxBytes) {
      return undefined;
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
