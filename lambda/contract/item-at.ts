/**
 * Checked array access for indices the code found in the same array (a duplicate's position, a witness of
 * the route analysis). Not part of the contract's public surface: the barrel does not export it.
 */

/**
 * The item at `index`, throwing rather than returning undefined when there is none.
 * @param items the array the index was found in (it holds no undefined item)
 * @param index a position in `items`
 */
export function itemAt<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) {
    throw new RangeError(`no item at index ${index}`);
  }
  return item;
}
