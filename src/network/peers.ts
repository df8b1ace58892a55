/**
 * Who may connect: the peer ids listed in genesis (validators and observers). The gater
 * refuses everyone else at the first hooks that know the remote peer id (FACTS.md: an
 * unlisted dialer's dial() resolves, then its connection aborts). The refusing side gets
 * no libp2p event, so refusals are counted and logged here, once per peer.
 */
import type { ConnectionGater, PeerId } from '@libp2p/interface';
import type { Genesis } from '../genesis/index.js';
import type { NetworkLogger, NetworkMetrics } from './interface.js';

export interface PeerRole {
  kind: 'validator' | 'observer';
  /** Validator index (validators only). */
  index?: number;
  name: string;
}

/** Remembered refused peers; past this, refusals are still counted but logged again. */
const MAX_REFUSED_REMEMBERED = 4096;

export class PeerRegistry {
  private readonly roles = new Map<string, PeerRole>();
  private readonly byIndex: string[] = [];
  private readonly refused = new Set<string>();

  constructor(
    genesis: Genesis,
    private readonly metrics: NetworkMetrics,
    private readonly logger: NetworkLogger,
  ) {
    for (const v of genesis.validators) {
      this.roles.set(v.peerId, { kind: 'validator', index: v.index, name: v.name });
      this.byIndex[v.index] = v.peerId;
    }
    for (const o of genesis.observers) {
      if (!this.roles.has(o.peerId)) this.roles.set(o.peerId, { kind: 'observer', name: o.name });
    }
  }

  roleOf(peerId: string): PeerRole | undefined {
    return this.roles.get(peerId);
  }

  validatorIndexOf(peerId: string): number | undefined {
    return this.roles.get(peerId)?.index;
  }

  peerIdOfValidator(index: number): string | undefined {
    return this.byIndex[index];
  }

  isAllowed(peerId: string): boolean {
    return this.roles.has(peerId);
  }

  /** Counts a refusal; logs it the first time this peer is refused. */
  refuse(peerId: string, direction: 'inbound' | 'outbound'): void {
    this.metrics.refusedConnections++;
    if (this.refused.has(peerId)) return;
    if (this.refused.size >= MAX_REFUSED_REMEMBERED) this.refused.clear();
    this.refused.add(peerId);
    this.metrics.refusedPeers++;
    this.logger.warn({ peer: peerId, direction }, 'refused a peer that is not listed in genesis');
  }

  /** A libp2p connection gater admitting genesis peers only. Hooks return true to deny. */
  gater(): ConnectionGater {
    const deny = (peerId: PeerId, direction: 'inbound' | 'outbound'): boolean => {
      const id = peerId.toString();
      if (this.isAllowed(id)) return false;
      this.refuse(id, direction);
      return true;
    };
    return {
      denyDialPeer: async (peerId) => deny(peerId, 'outbound'),
      denyInboundEncryptedConnection: async (peerId) => deny(peerId, 'inbound'),
      denyOutboundEncryptedConnection: async (peerId) => deny(peerId, 'outbound'),
    };
  }
}
