/**
 * JSON-RPC over HTTP: an express router that answers POST with JSON-RPC responses, every
 * error with HTTP 200 (as Ethereum clients expect: ethers reads a non-200 as a transport
 * failure). The app it is mounted in has already applied the per-client limits and the
 * Host allow-list (explorer/server app.ts), where a batch counts as one request.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { RPC_ERRORS } from './errors.js';
import type { RpcOptions } from './options.js';
import { answerRpcText, type RpcDispatch, type RpcResponse } from './protocol.js';

/** A JSON-RPC error answered with HTTP 200 and no id (the request could not be read). */
export function sendRpcError(res: Response, code: number, message: string): void {
  const body: RpcResponse = { jsonrpc: '2.0', id: null, error: { code, message } };
  res.status(200).json(body);
}

export function createRpcRouter(
  dispatch: RpcDispatch,
  options: RpcOptions,
  onInternalError?: (err: unknown) => void,
): express.Router {
  const router = express.Router();
  router.post(
    '/',
    (req: Request, _res: Response, next: NextFunction) => {
      // only JSON: another type would make the POST a CORS-simple request any web page may send
      if (!req.is('application/json')) {
        const err = Object.assign(new Error('not json'), { type: 'rpc.content.type' });
        next(err);
        return;
      }
      next();
    },
    express.text({ type: () => true, limit: options.maxRequestBytes, inflate: false }),
    async (req: Request, res: Response) => {
      const text = typeof req.body === 'string' ? req.body : '';
      const answer = await answerRpcText(text, dispatch, options, onInternalError);
      if (answer === undefined) {
        res.status(204).end();
        return;
      }
      res.status(200).json(answer);
    },
  );
  router.all('/', (_req: Request, res: Response) => {
    res.setHeader('Allow', 'POST');
    sendRpcError(res, RPC_ERRORS.INVALID_REQUEST, 'invalid request: JSON-RPC takes POST with a JSON body');
  });
  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    const type = (err as { type?: unknown })?.type;
    if (typeof type !== 'string') {
      next(err);
      return;
    }
    if (!req.complete) res.setHeader('Connection', 'close');
    if (type === 'entity.too.large')
      sendRpcError(
        res,
        RPC_ERRORS.LIMIT_EXCEEDED,
        `the request is larger than ${options.maxRequestBytes} bytes`,
      );
    else if (type === 'rpc.content.type')
      sendRpcError(res, RPC_ERRORS.INVALID_REQUEST, 'invalid request: Content-Type must be application/json');
    else if (type === 'encoding.unsupported' || type === 'charset.unsupported')
      sendRpcError(res, RPC_ERRORS.INVALID_REQUEST, 'invalid request: send the body uncompressed, in utf-8');
    else sendRpcError(res, RPC_ERRORS.INVALID_REQUEST, 'invalid request: the body could not be read');
  });
  return router;
}
