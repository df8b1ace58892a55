/**
 * libp2p 3 calls `Promise.withResolvers` (ES2024), which Node 20 lacks (FACTS.md). This
 * module installs a spec-shaped stand-in and must be evaluated before anything that
 * imports libp2p: `libp2p.ts` and `index.ts` import it first. It has no imports of its
 * own, so ESM evaluation order guarantees it runs before the modules imported after it.
 */
interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

const P = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };

if (typeof P.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>(this: PromiseConstructor): Resolvers<T> {
      let resolve!: Resolvers<T>['resolve'];
      let reject!: Resolvers<T>['reject'];
      const promise = new this<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

export {};
