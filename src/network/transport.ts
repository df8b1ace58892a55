/**
 * The consensus driver's Transport over libp2p (src/consensus/driver.ts):
 * - broadcast(proposal | timeout): gossip on the proposal / timeout topic (a proposal in
 *   its compact form, transactions by hash, after this node's pending tx batch); a repeat of an
 *   earlier broadcast goes direct to every validator instead, because gossipsub's seen
 *   cache drops identical bytes and the repeat exists for peers that missed the first;
 * - send(to, vote | blockRequest | blockResponse): the direct protocol to validator `to`
 *   (votes go straight to the next leader; docs/PROTOCOL.md "Network");
 * - the remaining combinations (never emitted by the driver today) map to the other path:
 *   send of a proposal/timeout goes direct, broadcast of a direct kind goes to every
 *   other validator directly.
 * Both calls return at once; every path is bounded (publisher.ts, direct.ts).
 */
import { encodeBlock } from '../chain/codec.js';
import {
  type ConsensusMessage,
  encodeProposal,
  encodeTimeout,
  encodeVote,
  type Transport,
} from '../consensus/index.js';
import { keccak256 } from '../crypto/hash.js';
import type { DirectMessenger } from './direct.js';
import { encodeCompactProposal, encodeDirect } from './encoding.js';
import type { GossipPublisher } from './publisher.js';

function directPayload(m: ConsensusMessage): Uint8Array {
  switch (m.kind) {
    case 'vote':
      return encodeDirect('vote', encodeVote(m.vote));
    case 'blockRequest':
      return encodeDirect('blockRequest', m.blockId);
    case 'blockResponse':
      return encodeDirect('blockResponse', encodeBlock(m.block));
    case 'proposal':
      return encodeDirect('proposal', encodeProposal(m.proposal));
    case 'timeout':
      return encodeDirect('timeout', encodeTimeout(m.timeout));
  }
}

export function networkTransport(
  publisher: GossipPublisher,
  direct: DirectMessenger,
  self: number | undefined,
  validatorCount: number,
): Transport {
  return {
    broadcast(m, options) {
      // a repeat goes direct to every validator: gossipsub would drop the identical bytes
      if (options?.repeat) {
        const payload = directPayload(m);
        for (let i = 0; i < validatorCount; i++) if (i !== self) direct.send(i, payload);
        return;
      }
      if (m.kind === 'proposal') {
        // The transactions this node admitted but has not gossiped yet go first, so that
        // peers hold every body the proposal names (they see the same stream in order).
        publisher.flushBatch();
        const hashes = m.proposal.block.transactions.map(keccak256);
        return publisher.enqueue('proposal', encodeCompactProposal(m.proposal, hashes));
      }
      if (m.kind === 'timeout') return publisher.enqueue('timeout', encodeTimeout(m.timeout));
      const payload = directPayload(m);
      for (let i = 0; i < validatorCount; i++) if (i !== self) direct.send(i, payload);
    },
    send(to, m) {
      if (to === self) return; // the core handles its own messages (e.g. its own vote)
      direct.send(to, directPayload(m));
    },
  };
}
