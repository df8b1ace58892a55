/** The pino-compatible subset the node logs through; `silentLogger` for tests. */
export interface NodeLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
  child?(bindings: object): NodeLogger;
}

export const silentLogger: NodeLogger = { info() {}, warn() {}, error() {}, debug() {} };

export function childLogger(logger: NodeLogger, bindings: object): NodeLogger {
  return logger.child ? logger.child(bindings) : logger;
}
