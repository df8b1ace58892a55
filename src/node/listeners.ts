/**
 * The node's HTTP listeners: the API port (REST API, explorer pages, /metrics, JSON-RPC at
 * /rpc and its WebSocket) and, when configured, a port of its own for JSON-RPC at `/`
 * (HTTP and WebSocket). Per-client limits, the Host allow-list, timeouts and connection
 * caps are explorer/server's and src/rpc's; this module builds the servers from them,
 * binds the ports (a taken one is NodeError PORT_IN_USE) and closes them with their
 * connections and sockets.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ApiServerOptions,
  apiServerOptions,
  corsAllows,
  createApiServer,
  type EvidenceView,
  HostAllowList,
  type NodeApi,
  type NodeStatus,
  type SubmitOutcome,
} from '../../explorer/server/index.js';
import { createExplorerPages } from '../../explorer/web/index.js';
import type { Mempool } from '../mempool/index.js';
import {
  attachRpcWebSocket,
  createRpcMethods,
  createRpcRouter,
  DEFAULT_RPC_OPTIONS,
  type RpcOptions,
  type RpcWebSocket,
} from '../rpc/index.js';
import type { LedgerStore } from '../store/index.js';
import type { Clock } from '../time/index.js';
import { NodeError } from './errors.js';
import type { StoreExplorerReader } from './explorer-reader.js';
import type { NodeLogger } from './logger.js';
import { StoreRpcBackend } from './rpc-backend.js';

/** web3_clientVersion: the project, its version and the runtime, as other clients name themselves. */
const CLIENT_VERSION = `bft-ledger/v0.1.0/${process.platform}-${process.arch}/node${process.versions.node}`;

export interface ApiListenersOptions {
  apiPort: number;
  apiHost: string;
  api?: Partial<ApiServerOptions>;
  /** Serve the explorer's web pages beside the API (false: API only). */
  explorerPages?: boolean;
  /** A port of its own for JSON-RPC at `/`; undefined: JSON-RPC only at /rpc on the API port. */
  rpcPort?: number;
  rpc?: Partial<RpcOptions>;
  chainId: bigint;
  baseFeePerGas: bigint;
  maxBlockTxs: number;
}

export interface ApiListenersComponents {
  api: NodeApi;
  /** The status and evidence the explorer's pages show. */
  status(): NodeStatus;
  evidence(): EvidenceView[];
  submit(raws: readonly Uint8Array[]): Promise<SubmitOutcome[]>;
  explorer: StoreExplorerReader;
  store: LedgerStore;
  mempool: Mempool;
  peerCount(): number;
  syncing(): boolean;
  /** Prometheus text for GET /metrics. */
  scrape(): Promise<string>;
  logger: NodeLogger;
  clock: Clock;
}

export class ApiListeners {
  private server: Server | undefined;
  private rpcServer: Server | undefined;
  private readonly rpcSockets: RpcWebSocket[] = [];

  constructor(
    private readonly o: ApiListenersOptions,
    private readonly c: ApiListenersComponents,
  ) {}

  /** The bound API port (after start). */
  get apiPort(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** The JSON-RPC port's number once listening (0: none). */
  get rpcPort(): number {
    return (this.rpcServer?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** The WebSocket endpoints open now (one per listening server). */
  webSockets(): readonly RpcWebSocket[] {
    return this.rpcSockets;
  }

  /** Builds the servers and binds their ports; PORT_IN_USE when one is taken. */
  async start(): Promise<void> {
    const { o, c } = this;
    const onError = (err: unknown) => c.logger.error({ err: (err as Error)?.message }, 'API handler failed');
    const pages =
      o.explorerPages === false
        ? undefined
        : createExplorerPages(c.explorer, {
            status: () => c.status(),
            evidence: () => c.evidence(),
            onError,
          });
    const rpcOptions = { ...DEFAULT_RPC_OPTIONS, ...o.rpc };
    const rpcMethods = createRpcMethods(
      new StoreRpcBackend({
        store: c.store,
        mempool: c.mempool,
        chainId: o.chainId,
        baseFeePerGas: o.baseFeePerGas,
        maxBlockTxs: o.maxBlockTxs,
        clientVersion: CLIENT_VERSION,
        submit: (raws) => c.submit(raws),
        peerCount: () => c.peerCount(),
        syncing: () => c.syncing(),
      }),
      rpcOptions,
    );
    const rpcDispatch = (name: string) => (Object.hasOwn(rpcMethods, name) ? rpcMethods[name] : undefined);
    const settings = apiServerOptions(o.api);
    const hosts = new HostAllowList(o.apiHost, settings.allowedHosts);
    const webSocket = (server: Server, path: '/rpc' | '/') =>
      attachRpcWebSocket(
        server,
        {
          path,
          methods: rpcMethods,
          headObject: (height) => rpcMethods.eth_getBlockByNumber([`0x${height.toString(16)}`, false]),
          onHead: (listener) => c.store.onHead((head) => listener(head.height)),
          head: () => c.store.head().height,
          allowsHost: (host) => hosts.allows(host),
          allowsOrigin: (origin) => corsAllows(settings.allowedOrigins, origin),
          onInternalError: onError,
          clock: c.clock,
        },
        rpcOptions,
      );
    const serve = (rpcPath: '/rpc' | '/') =>
      createApiServer(c.api, {
        onError,
        server: o.api,
        boundHost: o.apiHost,
        rpc: createRpcRouter(rpcDispatch, rpcOptions, onError),
        rpcPath,
        ...(rpcPath === '/rpc' ? { pages, prometheus: () => c.scrape() } : {}),
      });
    const server = serve('/rpc');
    this.rpcSockets.push(webSocket(server, '/rpc'));
    await listenOn(server, o.apiPort, o.apiHost, 'API');
    this.server = server;
    if (o.rpcPort !== undefined) {
      const rpcServer = serve('/');
      this.rpcSockets.push(webSocket(rpcServer, '/'));
      await listenOn(rpcServer, o.rpcPort, o.apiHost, 'RPC');
      this.rpcServer = rpcServer;
    }
  }

  /** Closes the WebSockets, then the servers with every open connection. Idempotent. */
  async stop(): Promise<void> {
    for (const socket of this.rpcSockets.splice(0)) socket.close();
    const servers = [this.server, this.rpcServer].filter((s): s is Server => s !== undefined);
    this.server = undefined;
    this.rpcServer = undefined;
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((ok) => {
            server.close(() => ok());
            server.closeAllConnections();
          }),
      ),
    );
  }
}

/** Listens, turning a taken port into NodeError PORT_IN_USE. */
function listenOn(server: Server, port: number, host: string, what: string): Promise<void> {
  return new Promise<void>((ok, fail) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      fail(err.code === 'EADDRINUSE' ? new NodeError('PORT_IN_USE', `${what} port ${port} is in use`) : err);
    };
    const onListening = () => {
      server.off('error', onError);
      ok();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
