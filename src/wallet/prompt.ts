/**
 * A hidden prompt on the terminal, for a passphrase or a private key: never on the command
 * line (argv is readable by every user of the machine through ps and /proc). Characters
 * are read in raw mode and not echoed; Ctrl-C and Ctrl-D abandon the prompt.
 */
import { WalletError } from './errors.js';

const MAX_SECRET_CHARS = 4096;

/** True when a person can be asked: standard input and error are a terminal. */
export function canPrompt(): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true;
}

export function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) return Promise.reject(new WalletError('INVALID_INPUT', 'no terminal to ask on'));
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let text = '';
    const wasRaw = stdin.isRaw;
    const done = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004')
          return done(new WalletError('INVALID_INPUT', 'abandoned at the prompt'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else if (text.length < MAX_SECRET_CHARS) text += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
