export { normalizeAddressText } from './normalize';
export { parseAddress, canonicalForm, floorFromRoom } from './parseAddress';
export { chineseNumeralToDigits } from './chineseNumerals';
export { buildVocabularyIndex, correctName, withinOneEdit } from './vocabularyIndex';
export type { Correction, VocabularyIndex } from './vocabularyIndex';
export type { AddressComponents, AddressVocabulary, ParsedAddress } from './types';
