/**
 * Checked array access for indices the code found in the same array (a duplicate's position, a witness of
 * the route analysis). Not part of the contract's public surface: the barrel does not export it.
 */

/**
 * The item at `index`, throwing rather than returning undefined when the index is out of range.
 * @param items the array the index was found in
 * @param index a position in `items`
 */
export function itemAt<T>(items: readonly T[], index: number): T {
  if (!Number.isInteger(index) || index < 0 || index >= items.length) {
    throw new RangeError(`index ${index} is outside an array of ${items.length} items`);
  }
  return items[index] as T;
}
