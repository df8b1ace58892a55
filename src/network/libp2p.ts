/**
 * Builds the libp2p node: TCP, noise, yamux, identify and gossipsub, with the genesis
 * connection gater. The polyfill import must stay first (FACTS.md: libp2p 3 on Node 20).
 */
import './polyfill.js';
import { createHash } from 'node:crypto';
import { noise } from '@chainsafe/libp2p-noise';
import type { GossipSub } from '@libp2p/gossipsub';
import { gossipsub, StrictNoSign } from '@libp2p/gossipsub';
import type { PeerScoreParams, PeerScoreThresholds } from '@libp2p/gossipsub/score';
import { type Identify, identify } from '@libp2p/identify';
import type { ConnectionGater, Libp2p, PrivateKey } from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import { yamux } from '@libp2p/yamux';
import { createLibp2p } from 'libp2p';

export type LedgerLibp2p = Libp2p<{ pubsub: GossipSub; identify: Identify }>;

export interface Libp2pParams {
  privateKey: PrivateKey;
  listenAddresses: string[];
  announceAddresses: string[];
  gater: ConnectionGater;
  topics: string[];
  heartbeatIntervalMs: number;
  seenTtlMs: number;
  maxMessageBytes: number;
  streamBufferMaxBytes: number;
  scoreParams: Partial<PeerScoreParams>;
  scoreThresholds: Partial<PeerScoreThresholds>;
  maxConnections: number;
}

/** gossipsub message id: sha256 of the data (StrictNoSign messages have no from/seqno). */
function contentId(msg: { data: Uint8Array }): Uint8Array {
  return createHash('sha256').update(msg.data).digest();
}

export async function createLedgerLibp2p(p: Libp2pParams): Promise<LedgerLibp2p> {
  return createLibp2p({
    start: false,
    privateKey: p.privateKey,
    addresses: { listen: p.listenAddresses, announce: p.announceAddresses },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: p.gater,
    connectionManager: { maxConnections: p.maxConnections },
    services: {
      identify: identify(),
      pubsub: gossipsub({
        globalSignaturePolicy: StrictNoSign,
        msgIdFn: contentId,
        msgIdToStrFn: (id) => Buffer.from(id).toString('base64'),
        // this node is the one that validates before forwarding (gate.ts)
        asyncValidation: true,
        allowPublishToZeroTopicPeers: true,
        // a re-sent timeout has the same bytes, hence the same id: not an error
        ignoreDuplicatePublishError: true,
        fallbackToFloodsub: false,
        doPX: false,
        heartbeatInterval: p.heartbeatIntervalMs,
        seenTTL: p.seenTtlMs,
        allowedTopics: p.topics,
        maxInboundDataLength: p.maxMessageBytes,
        maxOutboundBufferSize: p.streamBufferMaxBytes,
        scoreParams: p.scoreParams,
        scoreThresholds: p.scoreThresholds,
      }),
    },
  });
}
