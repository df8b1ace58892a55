/**
 * The Byzantine validator of the soak (scripts/soak-byzantine.ts): a process that holds a
 * genuine validator key, joins the network with the project's own createNetwork (so it is
 * admitted and meshed), takes no part in consensus, and runs the attacks of issue 10 in
 * turn, each for `phaseSeconds`, at fixed message rates. The rates are its CPU cap: it
 * sends at most `rate` messages per second per attack, whatever the honest nodes do, so
 * the soak measures resilience, not CPU taken from the machine.
 *
 * Throughout the run it also serves block sync with a lie (a committed head of 2^40, no
 * blocks), so every probe an honest validator sends it meets item 1's second half.
 *
 * Input: one JSON argument (AttackerConfig). Output: a JSON line per phase on stdout
 * ({phase, sent, seconds}), for the soak's report.
 */
import { readFile } from 'node:fs/promises';
import { hashHeader, merkleRoot } from '../../src/chain/index.js';
import type { Block } from '../../src/chain/types.js';
import {
  type ConsensusMessage,
  decodeQc,
  encodeTimeout,
  type Proposal,
  proposalDigest,
  type QuorumCertificate,
  secp256k1Signer,
  secp256k1Verifier,
  type TimeoutMessage,
  timeoutDigest,
  type ValidatorSet,
  voteDigest,
} from '../../src/consensus/index.js';
import { equalBytes, fromHex, toHex } from '../../src/crypto/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import { addressOf } from '../../src/crypto/keys.js';
import { readKeystoreFile } from '../../src/crypto/keystore.js';
import { parseGenesis } from '../../src/genesis/index.js';
import { encodeCompactProposal, encodeTxBatch } from '../../src/network/encoding.js';
import { createNetwork, syncProtocolFor, topicsFor } from '../../src/network/index.js';
import { genesisBlockOf } from '../../src/node/index.js';
import { encodeSyncRequest, Libp2pSyncNetwork } from '../../src/sync/index.js';
import { signTransfer } from '../../src/tx/index.js';
import type { AttackerConfig, AttackName } from './attacker-config.js';

const FAR = 2 ** 40;
const GWEI = 1_000_000_000n;

async function main(config: AttackerConfig): Promise<void> {
  const genesis = parseGenesis(JSON.parse(await readFile(config.genesisPath, 'utf8')));
  const secret = await readKeystoreFile(config.keyPath, config.passphrase);
  const self = genesis.validators.findIndex((v) => equalBytes(v.address, addressOf(secret)));
  if (self < 0) throw new Error('the attacker key is not a validator of this genesis');
  const validatorSet: ValidatorSet = {
    chainId: genesis.chainId,
    genesisId: genesisBlockOf(genesis).hash,
    validators: genesis.validators.map((v) => ({ address: v.address, publicKey: v.publicKey })),
  };
  const chainId = genesis.chainId;
  const signer = secp256k1Signer(secret);
  /** Proposals seen, newest last: where genuine QCs and the current round come from. */
  const seen: Proposal[] = [];
  const network = await createNetwork(
    { listenAddresses: [config.listen], bootstrapAddresses: config.bootstrap },
    {
      genesis,
      validatorSet,
      verifier: secp256k1Verifier(genesis.validators.map((v) => v.publicKey)),
      secretKey: secret.slice(),
      onConsensusMessage: (_from, m) => {
        if (m.kind !== 'proposal') return;
        seen.push(m.proposal);
        if (seen.length > 256) seen.splice(0, 128);
      },
      onTransactions: () => undefined,
    },
  );
  await network.start();
  const topics = topicsFor(validatorSet.genesisId);
  const pubsub = network.libp2p.services.pubsub;
  const publish = (topic: string, data: Uint8Array) => pubsub.publish(topic, data).catch(() => undefined);
  const sendDirect = (m: ConsensusMessage) => {
    for (const h of config.honest) network.transport.send(h.index, m);
  };

  // the lying sync server: a head of 2^40 and no blocks, all run long
  const sync = new Libp2pSyncNetwork({
    libp2p: network.libp2p,
    protocol: syncProtocolFor(validatorSet.genesisId),
    maxFrameBytes: genesis.params.maxBlockBytes + 64 * 1024,
    peers: () => network.connectedPeers(),
    penalize: () => undefined,
    maxInboundStreams: 32,
    logger: { info() {}, warn() {}, debug() {} },
  });
  await sync.start(
    { headHeight: () => FAR, getBlockBytes: () => undefined, getCommitQc: () => undefined },
    5_000,
  );

  const latest = () => seen.at(-1);
  const oldest = () => seen[0];
  const parentQcOf = (p: Proposal): QuorumCertificate => decodeQc(p.block.header.parentQc);
  const junk = (n: number, tag: number) =>
    Uint8Array.from({ length: n }, (_, i) => (i * 131 + tag * 7) % 256);
  let counter = 0;

  /** A signed compact proposal of this validator for `round` over `header` fields. */
  const proposal = (round: number, height: number, parent: Proposal, hashes: Uint8Array[]): Uint8Array => {
    const block: Block = {
      header: {
        chainId,
        height,
        round,
        parentHash: parent.block.header.parentHash,
        proposer: genesis.validators[self].address,
        timestampMs: Date.now(),
        txRoot: merkleRoot(hashes),
        stateRoot: sha256(junk(32, round)),
        receiptsRoot: new Uint8Array(32),
        parentQc: parent.block.header.parentQc,
      },
      transactions: [],
    };
    const signature = signer.sign(proposalDigest(validatorSet, round, hashHeader(block.header)));
    return encodeCompactProposal({ block, signature }, hashes);
  };

  // pre-signed gapped transactions: nonces 1..63 of each sender, nonce 0 never sent
  const gapped: Uint8Array[] = config.senders.flatMap((hex, s) => {
    const from = fromHex(hex);
    return Array.from(
      { length: 63 },
      (_, k) =>
        signTransfer(
          {
            chainId,
            nonce: BigInt(k + 1),
            maxPriorityFeePerGas: GWEI,
            maxFeePerGas: 2n * GWEI + BigInt(s),
            gasLimit: 21_000n,
            to: genesis.validators[0].address,
            value: 1n,
          },
          from,
        ).raw,
    );
  });
  let gappedAt = 0;

  const attacks: Record<AttackName, () => void> = {
    idle: () => undefined,
    'huge-height-proposals': () => {
      const p = latest();
      if (p) void publish(topics.proposal, proposal(p.block.header.round, FAR, p, []));
    },
    'future-rounds': () => {
      const p = latest();
      if (!p) return;
      const highQc = parentQcOf(p);
      const round = p.block.header.round + 1_000_000 + counter++;
      const timeout: TimeoutMessage = {
        round,
        highQc,
        signer: self,
        signature: signer.sign(timeoutDigest(validatorSet, round, highQc.round)),
      };
      void publish(topics.timeout, encodeTimeout(timeout));
      sendDirect({ kind: 'timeout', timeout });
    },
    'non-leader-proposals': () => {
      const p = latest();
      if (!p) return;
      const hashes = Array.from({ length: 64 }, () => sha256(junk(16, counter++)));
      void publish(topics.proposal, proposal(p.block.header.round + 1, p.block.header.height, p, hashes));
    },
    'certificate-amplification': () => {
      const p = latest();
      const old = oldest();
      if (!p || !old) return;
      const round = p.block.header.round;
      const blockId = parentQcOf(p).blockId;
      sendDirect({
        kind: 'vote',
        vote: {
          round,
          blockId,
          signer: self,
          signature: signer.sign(voteDigest(validatorSet, round, blockId)),
          // a genuine but old certificate riding along: verifying it again costs a quorum of checks
          sync: { highQc: parentQcOf(old), highTc: p.tc },
        },
      });
    },
    'block-requests': () => {
      const p = seen[counter++ % Math.max(1, seen.length)];
      if (p) sendDirect({ kind: 'blockRequest', blockId: parentQcOf(p).blockId });
    },
    'sync-flood': () => {
      const request = encodeSyncRequest({ fromHeight: 1, count: 32 });
      for (const peer of network.connectedPeers())
        void sync.request(peer, request, 5_000).catch(() => undefined);
    },
    'gapped-transactions': () => {
      if (gapped.length === 0) return;
      const batch: Uint8Array[] = [];
      for (let i = 0; i < 16; i++) batch.push(gapped[gappedAt++ % gapped.length]);
      void publish(topics.transactions, encodeTxBatch(batch));
    },
    'timeout-flood': () => {
      const p = latest();
      if (!p) return;
      const highQc = parentQcOf(p);
      const round = p.block.header.round;
      const timeout: TimeoutMessage = {
        round,
        highQc,
        signer: self,
        signature: signer.sign(timeoutDigest(validatorSet, round, highQc.round)),
      };
      sendDirect({ kind: 'timeout', timeout });
    },
    garbage: () => {
      const topic = Object.values(topics)[counter % 4];
      void publish(topic, junk(256, counter++));
    },
    'http-junk': () => {
      // one 1 MiB junk body per tick, to one honest API in turn (a tenth of the rate)
      if (counter++ % 10 !== 0) return;
      const target = config.honest[counter % config.honest.length];
      void fetch(`${target.apiUrl}/api/v1/txs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([toHex(junk(1 << 19, counter)).slice(0, 1 << 20)]),
      })
        .then((r) => r.arrayBuffer())
        .catch(() => undefined);
    },
  };

  // the soak's warm-up: connected and silent until the measured run starts
  await new Promise((r) => setTimeout(r, Math.max(0, config.startAtMs - Date.now())));
  const started = Date.now();
  const everyMs = 1000 / config.rate;
  let phaseIndex = 0;
  while (Date.now() - started < config.seconds * 1000) {
    const name = config.phases[phaseIndex++ % config.phases.length];
    const phaseStart = Date.now();
    let sent = 0;
    const phaseEnd = Math.min(phaseStart + config.phaseSeconds * 1000, started + config.seconds * 1000);
    // a fixed rate: one message every `everyMs`, late ticks are not made up for
    while (Date.now() < phaseEnd) {
      attacks[name]();
      sent++;
      await new Promise((r) => setTimeout(r, everyMs));
    }
    const report = { phase: name, sent, startedAtMs: phaseStart, seconds: (Date.now() - phaseStart) / 1000 };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  }
  await sync.stop();
  await network.stop();
}

await main(JSON.parse(process.argv[2]) as AttackerConfig);
