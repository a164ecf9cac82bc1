/**
 * Shared validation for input from clients: free text that cannot hide what it says, and entity
 * references that parse. Every plugin's schemas use these; see README.md.
 *
 * @packageDocumentation
 */
export { findUnsafeCharacter, findUnsafeValue, replaceUnsafeCharacters } from './characters';
export type { UnsafeCharacter, UnsafeCharacterOptions, UnsafeValue } from './characters';
export { freeText, singleLineText } from './text';
export type { TextOptions } from './text';
export { entityRef, entityRefSchema, normalizeEntityRef, checkEntityRef } from './entityRef';
export type { EntityRefOptions, EntityRefResult, EntityLookup, EntityRefCheck } from './entityRef';
export { describeZodError } from './errors';
