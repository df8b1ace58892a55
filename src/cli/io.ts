/**
 * What a command may touch of the outside world besides the file system. `main.ts` passes
 * the process's; tests pass buffers, so commands never write to process.stdout directly.
 */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  /** Relative paths given on the command line are resolved against this. */
  cwd: string;
  /** Standard input, read to its end (`--passphrase-file -`); absent: no stdin to read. */
  stdin?: () => AsyncIterable<Uint8Array>;
  /** Removes a variable from the environment (a secret, once read). */
  unsetEnv?: (name: string) => void;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    stdin: () => process.stdin,
    unsetEnv: (name) => {
      delete process.env[name];
    },
  };
}
