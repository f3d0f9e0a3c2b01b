import type { StoredJson } from '../stored-json';

/**
 * The stored tree each model object was read from (a check's value, a bucketer, client data, a
 * meta's `created_date`, an item's `is_enabled`), so that writing it back keeps the exact text of
 * what did not change. Model objects are immutable, so the pairing stays true; a WeakMap keeps
 * it off the public shapes and lets both be collected together.
 */
const forms = new WeakMap<object, StoredJson>();

export function rememberStoredForm(owner: object, form: StoredJson): void {
  forms.set(owner, form);
}

export function storedFormOf(owner: object): StoredJson | undefined {
  return forms.get(owner);
}
