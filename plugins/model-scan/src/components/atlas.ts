/**
 * MITRE ATLAS techniques the scanner reports, with their public pages.
 * https://atlas.mitre.org/techniques/<id>, e.g. AML.T0010.003.
 */
const ATLAS_TITLES: Record<string, string> = {
  'AML.T0010': 'AI Supply Chain Compromise',
  'AML.T0010.003': 'AI Supply Chain Compromise: Model',
  'AML.T0011': 'User Execution',
  'AML.T0011.000': 'User Execution: Unsafe AI Artifacts',
  'AML.T0018': 'Manipulate AI Model',
  'AML.T0018.002': 'Manipulate AI Model: Embed Malware',
  'AML.T0076': 'Corrupt AI Model',
};

/** Link to the ATLAS page of a technique id (AML.T0010.003 keeps its dots). */
export function atlasTechniqueUrl(id: string): string {
  return `https://atlas.mitre.org/techniques/${encodeURIComponent(id.trim())}`;
}

/** Human title of a technique, or undefined when the portal does not know it. */
export function atlasTechniqueTitle(id: string): string | undefined {
  return ATLAS_TITLES[id.trim()];
}

/** Link to the CWE definition page for ids like "CWE-502". */
export function cweUrl(cwe: string): string | undefined {
  const m = /^CWE-(\d+)$/i.exec(cwe.trim());
  return m
    ? `https://cwe.mitre.org/data/definitions/${m[1]}.html`
    : undefined;
}
