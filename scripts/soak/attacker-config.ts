/** What the soak (scripts/soak-byzantine.ts) tells its attacker process (attacker.ts). */
export interface AttackerConfig {
  genesisPath: string;
  keyPath: string;
  passphrase: string;
  listen: string;
  bootstrap: string[];
  /** The honest validators' indexes and API URLs. */
  honest: Array<{ index: number; apiUrl: string }>;
  /** Funded accounts (hex secrets) the attacker spends on gapped transactions. */
  senders: string[];
  /** Messages per second per attack. */
  rate: number;
  phaseSeconds: number;
  /** Phases to run, in turn, repeated until `seconds` have passed. */
  phases: AttackName[];
  seconds: number;
  /** Wall-clock time (ms) at which the first phase starts; until then it is connected and silent. */
  startAtMs: number;
}

/** `idle`: connected and silent (a crashed validator that still holds its connections), the control. */
export const ATTACKS = [
  'huge-height-proposals',
  'future-rounds',
  'non-leader-proposals',
  'certificate-amplification',
  'block-requests',
  'sync-flood',
  'gapped-transactions',
  'timeout-flood',
  'garbage',
  'http-junk',
] as const;
export const PHASES = [...ATTACKS, 'idle'] as const;
export type AttackName = (typeof PHASES)[number];
