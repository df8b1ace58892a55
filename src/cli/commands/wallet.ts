/**
 * ledger wallet COMMAND (also `npm run wallet -- COMMAND`): a wallet that trusts no single
 * node. Every balance and commit it prints was verified against the genesis validator set
 * of a local file; a node whose proof does not verify is named on stderr and the next node
 * of --node is asked.
 *
 *   new | import | address | balance [ADDRESS] | nonce [ADDRESS] | history [ADDRESS]
 *   tx HASH | send --to ADDR --value AMOUNT | faucet [ADDRESS] | load --count N --rate R --senders K
 *
 * Common options: --node URL[,URL...] ($LEDGER_NODE), --keystore FILE ($LEDGER_KEYSTORE),
 * --genesis FILE (default genesis/devnet.json), --genesis-hash 0x.. (pin), --json,
 * --passphrase-file / --password-file FILE ($LEDGER_PASSPHRASE, else a hidden prompt).
 * Failures print `error CODE: message` with the exit code of src/wallet/errors.ts.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { fromHex, toHex } from '../../crypto/bytes.js';
import { type Address, parseAddress, toChecksumAddress } from '../../crypto/keys.js';
import { DEFAULT_SCRYPT_N } from '../../crypto/keystore.js';
import { LedgerError } from '../../errors.js';
import { CURRENCY_SYMBOL, formatUnitsExact, formatWei, parseAmount } from '../../tx/index.js';
import {
  canPrompt,
  createKeystore,
  DEVNET_FAUCET_PASSPHRASE,
  DEVNET_FAUCET_PATH,
  DEVNET_GENESIS_PATH,
  type FinalCommit,
  type FinalTransfer,
  importKeystore,
  keystoreAddressOf,
  type LoadPlan,
  loadWalletChain,
  type NodeEvent,
  openKeystore,
  parseGenesisHash,
  parseNodeList,
  prepareLoad,
  promptHidden,
  runLoad,
  toWalletError,
  Wallet,
  WalletError,
} from '../../wallet/index.js';
import { formatTable } from '../identity.js';
import type { CliIo } from '../io.js';
import { parseNonNegativeInt, parsePositiveInt, parseScryptN } from '../options.js';
import { PASSPHRASE_ENV, resolvePassphrase } from '../passphrase.js';
import type { CliCommand } from './command.js';

export const DEFAULT_NODE_URL = 'http://127.0.0.1:8080';
export const NODE_ENV = 'LEDGER_NODE';
export const KEYSTORE_ENV = 'LEDGER_KEYSTORE';
/** The faucet keystore's passphrase when not the devnet's public one. */
export const FAUCET_PASSPHRASE_ENV = 'LEDGER_FAUCET_PASSPHRASE';
const DEFAULT_FAUCET_AMOUNT = '100';
/** A private key typed or piped in: 64 hex digits and a newline, with room for spaces. */
const MAX_KEY_INPUT_BYTES = 1024;

interface CommonOptions {
  node?: string;
  keystore?: string;
  genesis?: string;
  genesisHash?: string;
  json?: boolean;
  passphraseFile?: string;
  passwordFile?: string;
}

// ------------------------------------------------------------------ context

async function walletOf(io: CliIo, o: CommonOptions): Promise<Wallet> {
  const urls = parseNodeList(o.node ?? io.env[NODE_ENV] ?? DEFAULT_NODE_URL);
  const genesisPath = o.genesis ? resolve(io.cwd, o.genesis) : DEVNET_GENESIS_PATH;
  const chain = await loadWalletChain(
    genesisPath,
    o.genesisHash ? parseGenesisHash(o.genesisHash) : undefined,
  );
  return new Wallet(urls, chain, {}, { onNodeEvent: (e) => io.stderr(nodeEventLine(e)) });
}

function nodeEventLine(e: NodeEvent): string {
  if (e.kind === 'lie')
    return `warning: node ${e.lie.node} served a proof that does not verify (${e.lie.code}: ${e.lie.message}); not trusting its answer\n`;
  return `note: node ${e.node}: ${e.message}\n`;
}

function keystorePath(io: CliIo, o: CommonOptions): string {
  const path = o.keystore ?? io.env[KEYSTORE_ENV];
  if (!path)
    throw new WalletError(
      'NO_KEYSTORE',
      `no keystore: give --keystore FILE or set ${KEYSTORE_ENV} (create one with \`wallet new\`)`,
    );
  return resolve(io.cwd, path);
}

/** $LEDGER_PASSPHRASE or --passphrase-file / --password-file, else a hidden prompt on a terminal. */
async function passphraseOf(io: CliIo, o: CommonOptions, purpose: 'create' | 'open'): Promise<string> {
  try {
    return await resolvePassphrase({ passphraseFile: o.passphraseFile ?? o.passwordFile }, io, purpose);
  } catch (err) {
    if (!(err instanceof LedgerError && err.code === 'NO_PASSPHRASE' && io.stdin && canPrompt())) throw err;
  }
  const passphrase = await promptHidden('passphrase: ');
  if (purpose === 'create') {
    if (passphrase.length === 0) throw new WalletError('INVALID_INPUT', 'the passphrase is empty');
    if ((await promptHidden('again: ')) !== passphrase)
      throw new WalletError('INVALID_INPUT', 'the two passphrases differ');
  }
  return passphrase;
}

async function withSecret<T>(
  io: CliIo,
  o: CommonOptions,
  use: (secret: Uint8Array) => Promise<T>,
): Promise<T> {
  const path = keystorePath(io, o);
  const secret = await openKeystore(path, await passphraseOf(io, o, 'open'));
  try {
    return await use(secret);
  } finally {
    secret.fill(0);
  }
}

/** ADDRESS if given, else the keystore's (its stated address needs no passphrase). */
async function addressArg(io: CliIo, o: CommonOptions, text: string | undefined): Promise<Address> {
  if (text !== undefined) return parseAddress(text);
  return keystoreAddressOf(keystorePath(io, o), () => passphraseOf(io, o, 'open'));
}

function parseFeePerGas(text: string): bigint {
  const gwei = /^\s*([0-9]+(?:\.[0-9]{1,9})?)\s*gwei\s*$/i.exec(text);
  if (gwei) {
    const [whole, fraction = ''] = gwei[1].split('.');
    return BigInt(whole) * 10n ** 9n + BigInt(fraction.padEnd(9, '0'));
  }
  if (/wei\s*$/i.test(text)) return parseAmount(text);
  throw new WalletError(
    'INVALID_AMOUNT',
    `fee ${JSON.stringify(text)} per gas needs a unit: like 2gwei or 2000000000wei`,
  );
}

function parseTxHash(text: string): Uint8Array {
  if (!/^0x[0-9a-fA-F]{64}$/.test(text))
    throw new WalletError('INVALID_INPUT', 'a transaction hash is 0x followed by 64 hex digits');
  return fromHex(text, 32, 'transaction hash');
}

async function readStdinBounded(io: CliIo): Promise<string> {
  if (!io.stdin) throw new WalletError('INVALID_INPUT', 'no standard input to read the private key from');
  const parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of io.stdin()) {
    length += chunk.length;
    if (length > MAX_KEY_INPUT_BYTES)
      throw new WalletError(
        'INVALID_INPUT',
        `standard input holds more than ${MAX_KEY_INPUT_BYTES} bytes: not a private key`,
      );
    parts.push(Buffer.from(chunk));
  }
  return Buffer.concat(parts).toString('utf8');
}

// ------------------------------------------------------------------ output

const amount = (wei: bigint) => `${formatUnitsExact(wei)} ${CURRENCY_SYMBOL}`;

function finalLine(c: FinalCommit): string {
  return `at block ${c.height}, certified by ${c.signers.join(', ')} (${c.signers.length} of ${c.validators} validators; quorum ${c.quorum})`;
}

/**
 * When a verified block was made, and how long ago by this machine's clock: a node chooses
 * which committed block it proves, and may serve a genuine but old one.
 */
function madeAt(c: FinalCommit): string {
  const seconds = Math.round((Date.now() - c.timestampMs) / 1000);
  const ago =
    seconds < 0
      ? 'in the future by this clock'
      : seconds < 120
        ? `${seconds} s ago`
        : seconds < 7200
          ? `${Math.round(seconds / 60)} min ago`
          : `${Math.round(seconds / 3600)} h ago`;
  return `made ${new Date(c.timestampMs).toISOString()}, ${ago}`;
}

function commitJson(c: FinalCommit) {
  return {
    height: c.height,
    blockHash: c.blockHash,
    timestampMs: c.timestampMs,
    signers: c.signers,
    quorum: c.quorum,
    validators: c.validators,
  };
}

function transferJson(t: FinalTransfer) {
  const fields = t.signed ?? t.claimed;
  return {
    hash: t.hash,
    status: 'final',
    from: t.from,
    to: t.to,
    ...(fields ? { value: fields.value.toString(), nonce: fields.nonce.toString() } : {}),
    ...(t.claimed && !t.signed ? { fieldsVerified: false } : {}),
    index: t.index,
    commit: commitJson(t.commit),
    receipt: {
      gasUsed: t.receipt.gasUsed.toString(),
      effectiveGasPrice: t.receipt.effectiveGasPrice.toString(),
      fee: t.receipt.fee.toString(),
    },
    node: t.node,
    resubmissions: t.resubmissions,
  };
}

function transferRows(t: FinalTransfer): Array<[string, string]> {
  const fields = t.signed ?? t.claimed;
  const said = t.signed ? '' : ' (as the node states it)';
  return [
    ['hash', t.hash],
    ['from', t.from],
    ['to', t.to],
    ...(fields
      ? ([
          ['value', `${amount(fields.value)}${said}`],
          ['nonce', `${fields.nonce}${said}`],
        ] as Array<[string, string]>)
      : []),
    [
      'fee',
      `${amount(t.receipt.fee)} (${t.receipt.gasUsed} gas at ${formatUnitsExact(t.receipt.effectiveGasPrice * 10n ** 9n)} gwei)`,
    ],
    ['status', 'final'],
    // the header does not state its transaction count, so the proofs do not fix the index
    [
      'block',
      `${t.commit.height} (${t.commit.blockHash}), index ${t.index} (as the node states it), ${madeAt(t.commit)}`,
    ],
    ['final', finalLine(t.commit)],
    ['verified', `proofs of commit, inclusion and receipt from ${t.node}`],
  ];
}

function print(io: CliIo, o: CommonOptions, json: unknown, rows: Array<[string, string]>): void {
  io.stdout(o.json ? `${JSON.stringify(json)}\n` : formatTable(rows));
}

// ------------------------------------------------------------------ commands

/** Runs an action with the merged options (the wallet's and the subcommand's) and the wallet's error mapping. */
function action<O extends CommonOptions, A extends string[]>(
  io: CliIo,
  run: (io: CliIo, o: O, ...args: A) => Promise<void>,
) {
  return async (...args: unknown[]) => {
    // commander passes the positional arguments, the options and the command
    const command = args[args.length - 1] as Command;
    const positional = args.slice(0, -2) as A;
    try {
      await run(io, command.optsWithGlobals<O>(), ...positional);
    } catch (err) {
      throw toWalletError(err);
    }
  };
}

interface NewOptions extends CommonOptions {
  scryptN: number;
}

async function newKey(io: CliIo, o: NewOptions): Promise<void> {
  const path = keystorePath(io, o);
  const address = await createKeystore(path, await passphraseOf(io, o, 'create'), { scryptN: o.scryptN });
  const a = toChecksumAddress(address);
  print(io, o, { address: a, keystore: path }, [
    ['address', a],
    ['keystore', path],
  ]);
}

async function importKey(io: CliIo, o: NewOptions): Promise<void> {
  const path = keystorePath(io, o);
  const fromTerminal = canPrompt() && io.stdin !== undefined;
  const keyText = fromTerminal ? await promptHidden('private key (hex): ') : await readStdinBounded(io);
  const address = await importKeystore(path, keyText, await passphraseOf(io, o, 'create'), {
    scryptN: o.scryptN,
  });
  const a = toChecksumAddress(address);
  print(io, o, { address: a, keystore: path }, [
    ['address', a],
    ['keystore', path],
  ]);
}

async function showAddress(io: CliIo, o: CommonOptions): Promise<void> {
  const a = toChecksumAddress(await addressArg(io, o, undefined));
  print(io, o, { address: a }, [['address', a]]);
}

async function balance(io: CliIo, o: CommonOptions & { height?: number }, text?: string): Promise<void> {
  const address = await addressArg(io, o, text);
  const wallet = await walletOf(io, o);
  const b = await wallet.balance(address, o.height);
  print(
    io,
    o,
    {
      address: b.address,
      exists: b.exists,
      balance: b.balance.toString(),
      nonce: b.nonce.toString(),
      verified: true,
      commit: commitJson(b.commit),
      node: b.node,
    },
    [
      ['address', b.address],
      ['balance', `${amount(b.balance)} (${formatWei(b.balance)})${b.exists ? '' : ', no account yet'}`],
      ['nonce', b.nonce.toString()],
      ['verified', `at block ${b.commit.height} (${b.commit.blockHash}) from ${b.node}`],
      ['block time', madeAt(b.commit)],
      ['final', finalLine(b.commit)],
    ],
  );
}

async function nonce(io: CliIo, o: CommonOptions, text?: string): Promise<void> {
  const address = await addressArg(io, o, text);
  const n = await (await walletOf(io, o)).nonce(address);
  print(
    io,
    o,
    {
      address: n.address,
      committed: n.committed.toString(),
      pending: n.pending.toString(),
      commit: commitJson(n.commit),
      node: n.node,
    },
    [
      ['address', n.address],
      ['committed', `${n.committed} (verified at block ${n.commit.height}, ${madeAt(n.commit)})`],
      ['pending', `${n.pending} (next nonce to use, as ${n.node} states it)`],
    ],
  );
}

async function history(
  io: CliIo,
  o: CommonOptions & { limit?: number; cursor?: string },
  text?: string,
): Promise<void> {
  const address = await addressArg(io, o, text);
  const page = await (await walletOf(io, o)).history(address, { limit: o.limit, cursor: o.cursor });
  if (o.json) {
    io.stdout(
      `${JSON.stringify({
        address: toChecksumAddress(address),
        node: page.node,
        // a listing is the node's word; `tx HASH` verifies one transaction
        verified: false,
        items: page.items.map((t) => ({
          hash: t.hash,
          height: t.height,
          index: t.index,
          from: toChecksumAddress(fromHex(t.from, 20)),
          to: toChecksumAddress(fromHex(t.to, 20)),
          value: t.value.toString(),
          nonce: t.nonce.toString(),
          fee: t.receipt.fee.toString(),
          timestampMs: t.timestampMs,
        })),
        next: page.next,
      })}\n`,
    );
    return;
  }
  const me = toHex(address);
  io.stdout(
    `committed transactions of ${toChecksumAddress(address)}, newest first, as ${page.node} lists them\n`,
  );
  for (const t of page.items) {
    const out = t.from.toLowerCase() === me;
    const other = toChecksumAddress(fromHex(out ? t.to : t.from, 20));
    io.stdout(
      `${String(t.height).padStart(8)}  ${t.hash}  ${out ? 'to  ' : 'from'} ${other}  ${out ? '-' : '+'}${amount(t.value)}  nonce ${t.nonce}\n`,
    );
  }
  if (page.items.length === 0) io.stdout('(none)\n');
  if (page.next) io.stdout(`more: --cursor ${page.next}\n`);
}

async function txCommand(io: CliIo, o: CommonOptions, text: string): Promise<void> {
  const hash = parseTxHash(text);
  const t = await (await walletOf(io, o)).tx(hash);
  if (t.status !== 'final') {
    print(io, o, { hash: t.hash, status: t.status, ...(t.queued ? { queued: true } : {}), node: t.node }, [
      ['hash', t.hash],
      ['status', `${t.status}${t.queued ? ' (queued behind a nonce gap)' : ''}, as ${t.node} states it`],
    ]);
    if (t.status === 'unknown')
      throw new WalletError('TX_UNKNOWN', `node ${t.node} knows no transaction ${t.hash}`, { hash: t.hash });
    return;
  }
  print(io, o, transferJson(t), transferRows(t));
}

interface SendOptions extends CommonOptions {
  to: string;
  value: string;
  maxFee?: string;
  priorityFee?: string;
  nonce?: number;
  async?: boolean;
  timeout: number;
}

async function sendFrom(
  io: CliIo,
  o: CommonOptions & { async?: boolean; timeout: number },
  wallet: Wallet,
  secret: Uint8Array,
  request: Parameters<Wallet['prepareTransfer']>[1],
): Promise<void> {
  const signed = await wallet.prepareTransfer(secret, request);
  const submitted = await wallet.submit(signed);
  if (o.async) {
    print(
      io,
      o,
      { hash: submitted.hash, status: 'submitted', nonce: signed.nonce.toString(), node: submitted.node },
      [
        ['hash', submitted.hash],
        ['nonce', signed.nonce.toString()],
        [
          'status',
          `submitted to ${submitted.node}${submitted.queued ? ' (queued behind a nonce gap)' : ''}; not final`,
        ],
      ],
    );
    return;
  }
  if (!o.json) io.stderr(`submitted ${submitted.hash} to ${submitted.node}; waiting for the commit\n`);
  const final = await wallet.waitForCommit(signed, o.timeout * 1000);
  print(io, o, transferJson(final), transferRows(final));
}

async function send(io: CliIo, o: SendOptions): Promise<void> {
  const to = parseAddress(o.to);
  const value = parseAmount(o.value);
  const request = {
    to,
    value,
    maxFeePerGas: o.maxFee === undefined ? undefined : parseFeePerGas(o.maxFee),
    maxPriorityFeePerGas: o.priorityFee === undefined ? undefined : parseFeePerGas(o.priorityFee),
    nonce: o.nonce === undefined ? undefined : BigInt(o.nonce),
  };
  const wallet = await walletOf(io, o);
  await withSecret(io, o, (secret) => sendFrom(io, o, wallet, secret, request));
}

interface FaucetOptions extends CommonOptions {
  value: string;
  faucet?: string;
  async?: boolean;
  timeout: number;
}

async function faucetSecret(io: CliIo, path: string | undefined): Promise<Uint8Array> {
  const file = path ? resolve(io.cwd, path) : DEVNET_FAUCET_PATH;
  return openKeystore(file, io.env[FAUCET_PASSPHRASE_ENV] ?? DEVNET_FAUCET_PASSPHRASE);
}

async function faucet(io: CliIo, o: FaucetOptions, text?: string): Promise<void> {
  const to = await addressArg(io, o, text);
  const value = parseAmount(o.value);
  const wallet = await walletOf(io, o);
  const secret = await faucetSecret(io, o.faucet);
  try {
    await sendFrom(io, o, wallet, secret, { to, value });
  } finally {
    secret.fill(0);
  }
}

interface LoadOptions extends CommonOptions {
  count: number;
  rate: number;
  senders: number;
  value: string;
  settleTimeout: number;
  faucet?: string;
  fromKeystore?: boolean;
}

async function load(io: CliIo, o: LoadOptions): Promise<void> {
  const plan: LoadPlan = {
    count: o.count,
    ratePerSecond: o.rate,
    senders: o.senders,
    valueWei: parseAmount(o.value),
    settleTimeoutMs: o.settleTimeout * 1000,
  };
  const wallet = await walletOf(io, o);
  const progress = (line: string) => io.stderr(`load: ${line}\n`);
  const funder = o.fromKeystore
    ? await openKeystore(keystorePath(io, o), await passphraseOf(io, o, 'open'))
    : await faucetSecret(io, o.faucet);
  let prepared: Awaited<ReturnType<typeof prepareLoad>>;
  try {
    prepared = await prepareLoad(wallet, funder, plan, progress);
  } finally {
    funder.fill(0);
  }
  const r = await runLoad(wallet, prepared, { onProgress: progress });
  // --json is one JSON object on stdout, as for every other command
  if (o.json) {
    io.stdout(`${JSON.stringify(r)}\n`);
    return;
  }
  const reasons = Object.entries(r.rejected);
  io.stdout(
    formatTable([
      [
        'submitted',
        `${r.submitted} of ${o.count} in ${r.submitSeconds} s (${r.achievedRatePerSecond}/s) to ${r.node}`,
      ],
      ['committed', String(r.committed)],
      ['rejected', reasons.length === 0 ? '0' : reasons.map(([k, v]) => `${k} ${v}`).join(', ')],
      ['uncommitted', String(r.uncommitted)],
      [
        'latency',
        `p50 ${r.latencyMs.p50 ?? '-'} ms, p99 ${r.latencyMs.p99 ?? '-'} ms, max ${r.latencyMs.max ?? '-'} ms`,
      ],
    ]),
  );
}

// ------------------------------------------------------------------ registration

export const walletCommand: CliCommand = {
  register(program: Command, io: CliIo): void {
    const wallet = program
      .command('wallet')
      .description('a wallet that verifies every answer against the genesis validator set')
      .option(
        '--node <urls>',
        `node API URL, or a comma-separated list tried in turn (default: $${NODE_ENV} or ${DEFAULT_NODE_URL})`,
      )
      .option('--keystore <file>', `the wallet's v3 keystore (default: $${KEYSTORE_ENV})`)
      .option(
        '--genesis <file>',
        'genesis file whose validators verify proofs (default: genesis/devnet.json)',
      )
      .option('--genesis-hash <hash>', 'refuse a genesis file whose genesis block hash is not this one')
      .option(
        '--passphrase-file <file>',
        `file holding the keystore passphrase (default: $${PASSPHRASE_ENV}, else a prompt)`,
      )
      .option('--password-file <file>', 'the same as --passphrase-file')
      .option('--json', 'print one JSON object');

    wallet
      .command('new')
      .description('create a new key in an encrypted keystore (--keystore)')
      .option('--scrypt-n <n>', 'scrypt cost N (a power of two)', parseScryptN, DEFAULT_SCRYPT_N)
      .action(action(io, newKey));

    wallet
      .command('import')
      .description('encrypt an existing private key (from standard input, or a hidden prompt) to --keystore')
      .option('--scrypt-n <n>', 'scrypt cost N (a power of two)', parseScryptN, DEFAULT_SCRYPT_N)
      .action(action(io, importKey));

    wallet.command('address').description("the keystore's address").action(action(io, showAddress));

    wallet
      .command('balance')
      .description('verified balance and nonce (default: the keystore address)')
      .argument('[address]', 'an address (EIP-55 checksum checked when mixed case)')
      .option('--height <n>', 'at this committed height (default: the newest provable)', parseNonNegativeInt)
      .action(action(io, balance));

    wallet
      .command('nonce')
      .description('verified committed nonce and the pending nonce the node states')
      .argument('[address]', 'an address')
      .action(action(io, nonce));

    wallet
      .command('history')
      .description('committed transactions sent or received, newest first (a page)')
      .argument('[address]', 'an address')
      .option('--limit <n>', 'transactions per page', parsePositiveInt)
      .option('--cursor <next>', 'the `more` cursor of the previous page')
      .action(action(io, history));

    wallet
      .command('tx')
      .description("a transaction's status and, once committed, its verified proofs")
      .argument('<hash>', 'the transaction hash')
      .action(action(io, txCommand));

    wallet
      .command('send')
      .description('sign and submit a transfer, then wait for its verified commit')
      .requiredOption('--to <address>', 'recipient')
      .requiredOption(
        '--value <amount>',
        `amount: ${CURRENCY_SYMBOL} with up to 18 decimals (1.5) or exact wei (1500wei)`,
      )
      .option('--max-fee <fee>', 'max fee per gas, like 3gwei (default: twice the base fee plus the tip)')
      .option('--priority-fee <fee>', 'tip per gas, like 1gwei (default 1gwei)')
      .option('--nonce <n>', "nonce (default: the node's pending nonce)", parseNonNegativeInt)
      .option('--async', 'print the hash once submitted; do not wait')
      .option('--timeout <seconds>', 'how long to wait for the commit', parsePositiveInt, 60)
      .action(action(io, send));

    wallet
      .command('faucet')
      .description("fund an address from the devnet's faucet (default: the keystore address)")
      .argument('[address]', 'an address')
      .option(
        '--value <amount>',
        `amount (default ${DEFAULT_FAUCET_AMOUNT} ${CURRENCY_SYMBOL})`,
        DEFAULT_FAUCET_AMOUNT,
      )
      .option(
        '--faucet <file>',
        `faucet keystore (default genesis/devnet-keys/faucet.json; passphrase $${FAUCET_PASSPHRASE_ENV} or the devnet's)`,
      )
      .option('--async', 'print the hash once submitted; do not wait')
      .option('--timeout <seconds>', 'how long to wait for the commit', parsePositiveInt, 60)
      .action(action(io, faucet));

    wallet
      .command('load')
      .description(
        'fund K new accounts, pre-sign N transfers among them, submit at R/s; report commits and latency',
      )
      .requiredOption('--count <n>', 'transfers to submit', parsePositiveInt)
      .requiredOption('--rate <r>', 'transfers per second', parsePositiveInt)
      .requiredOption('--senders <k>', 'sending accounts', parsePositiveInt)
      .option('--value <amount>', 'value of each transfer', '1wei')
      .option(
        '--settle-timeout <seconds>',
        'wait this long after the last submission for commits',
        parsePositiveInt,
        60,
      )
      .option('--faucet <file>', 'fund the senders from this faucet keystore (default the devnet faucet)')
      .option('--from-keystore', 'fund the senders from --keystore instead of the faucet')
      .action(action(io, load));
  },
};
