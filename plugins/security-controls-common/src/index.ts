/**
 * The controls catalog of Frontier Guard: control ids, titles and their mappings to the
 * research-infrastructure areas, DASF, MITRE ATLAS and NIST SP 800-218A.
 *
 * @packageDocumentation
 */
export * from './controls';
