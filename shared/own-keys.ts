/**
 * Untrusted names (flag names, client data keys, condition variables, checks) as keys of plain
 * objects. Kept out of the package's exports: internal helpers.
 */

/**
 * Sets `obj[key] = value` as an own data property whatever the key. The one place such an
 * assignment is written (ESLint forbids it elsewhere): assigning `__proto__` on an ordinary object
 * would replace its prototype instead of storing data.
 */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    // eslint-disable-next-line local/no-data-key-assignment -- the safe setter itself
    obj[key] = value;
  }
}

/** The own value of `key`, never an inherited one (`toString` of `{}` is not data). */
export function getOwn<T>(obj: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}
