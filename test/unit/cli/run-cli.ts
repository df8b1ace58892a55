/** runCli in-process with its output captured: what the in-process CLI tests share. */
import type { CliIo } from '../../../src/cli/io.js';
import { runCli } from '../../../src/cli/program.js';

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

export async function run(argv: string[], cwd: string, env: Record<string, string> = {}): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env,
    cwd,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}
