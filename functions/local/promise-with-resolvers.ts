/**
 * aws-local-stepfunctions 3 calls Promise.withResolvers, which Node.js has from version 22 on; the
 * local runner and the tests run on Node.js 20 too.
 */
type Resolvers<T> = { promise: Promise<T>; resolve: (value: T | PromiseLike<T>) => void; reject: (reason?: unknown) => void };
const promise = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };
promise.withResolvers ??= <T>(): Resolvers<T> => {
  let resolve!: Resolvers<T>["resolve"];
  let reject!: Resolvers<T>["reject"];
  const p = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise: p, resolve, reject };
};
export {};
