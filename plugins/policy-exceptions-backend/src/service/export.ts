import { createHash } from 'node:crypto';
import { ActiveExceptionExport, ExceptionsExport } from '@internal/plugin-policy-exceptions-common';
import { getSecurityControl, isSecurityControlId } from '@internal/plugin-security-controls-common';
import { ExceptionRecord } from '../domain/lifecycle';

export function toExportItem(r: ExceptionRecord): ActiveExceptionExport {
  return {
    id: r.id,
    controlId: r.controlId,
    revision: r.revision,
    scope: r.content.scope,
    startsAt: r.content.startsAt,
    endsAt: r.content.endsAt,
    owner: r.content.owner,
    requester: r.requester,
    approvedBy: r.approvedBy ?? [],
    approvedAt: r.approvedAt,
    risk: r.content.risk,
    reasonCategory: r.content.reasonCategory,
    justification: r.content.justification,
    compensatingControls: r.content.compensatingControls,
  };
}

export function jsonExport(records: ExceptionRecord[], at: Date, generatedAt: Date): ExceptionsExport {
  return { generatedAt: generatedAt.toISOString(), at: at.toISOString(), items: records.map(toExportItem) };
}

/** A stable UUID (version 5 layout) derived from a name, so exports of the same data are identical. */
export function stableUuid(name: string): string {
  const h = createHash('sha1').update(`frontier-guard/policy-exceptions/${name}`).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

const OSCAL_VERSION = '1.1.2';
const NS = 'https://frontier-guard.internal/ns/oscal';

function title(controlId: string): string {
  return isSecurityControlId(controlId) ? getSecurityControl(controlId).title : controlId;
}

/** One OSCAL risk per exception: status deviation-approved, likelihood/impact facets, mitigating factors, deadline. */
function risk(r: ExceptionRecord) {
  const c = r.content;
  return {
    uuid: stableUuid(`risk/${r.id}/${r.revision}`),
    title: `Deviation from ${r.controlId} (${title(r.controlId)})`,
    description: c.justification,
    statement: `Risk accepted until ${c.endsAt} (${c.risk.rating}); scope: ${c.scope.entityRefs.join(', ')}${c.scope.findingKey ? `, finding ${c.scope.findingKey}` : ''}.`,
    props: [
      { name: 'exception-id', ns: NS, value: r.id },
      { name: 'revision', ns: NS, value: String(r.revision) },
      { name: 'reason-category', ns: NS, value: c.reasonCategory },
    ],
    status: 'deviation-approved',
    characterizations: [
      {
        origin: { actors: [{ type: 'party', 'actor-uuid': stableUuid(`party/${c.owner}`) }] },
        facets: [
          { name: 'likelihood', system: NS, value: c.risk.likelihood },
          { name: 'impact', system: NS, value: c.risk.impact },
          { name: 'risk', system: NS, value: c.risk.rating },
        ],
      },
    ],
    'mitigating-factors': c.compensatingControls.map((cc, i) => ({
      uuid: stableUuid(`mitigation/${r.id}/${r.revision}/${i}`),
      description:
        cc.kind === 'catalog'
          ? `Catalog control ${cc.controlId} (${title(cc.controlId)}) must keep passing on the same scope.`
          : `${cc.measure}\nConstraint: ${cc.constraint}\nObjective: ${cc.objective}\nIdentified risk: ${cc.identifiedRisk}\nValidation: ${cc.validation}\nMaintenance: ${cc.maintenance}\nEvidence: ${cc.evidence}`,
      props: cc.kind === 'described' ? [{ name: 'owner', ns: NS, value: cc.owner }] : [{ name: 'control-id', ns: NS, value: cc.controlId }],
    })),
    deadline: c.endsAt,
    'risk-log': {
      entries: [
        ...(r.submittedAt ? [{ uuid: stableUuid(`log/${r.id}/submitted`), title: 'dr-submission', start: r.submittedAt }] : []),
        ...(r.approvedAt
          ? [{ uuid: stableUuid(`log/${r.id}/${r.revision}/approved`), title: 'dr-approved', start: r.approvedAt, description: `Approved by ${(r.approvedBy ?? []).join(', ')}` }]
          : []),
      ],
    },
  };
}

function metadata(kind: string, generatedAt: Date) {
  return {
    title: `Frontier Guard policy exceptions: ${kind}`,
    'last-modified': generatedAt.toISOString(),
    version: generatedAt.toISOString(),
    'oscal-version': OSCAL_VERSION,
    parties: [] as Array<{ uuid: string; type: string; name: string }>,
  };
}

function parties(records: ExceptionRecord[]) {
  const refs = new Set(records.map(r => r.content.owner));
  return [...refs].map(ref => ({ uuid: stableUuid(`party/${ref}`), type: 'person', name: ref }));
}

/** OSCAL plan-of-action-and-milestones: one risk and one POA&M item per active exception. */
export function oscalPoam(records: ExceptionRecord[], at: Date, generatedAt: Date) {
  const md = metadata(`active deviations at ${at.toISOString()}`, generatedAt);
  md.parties = parties(records);
  return {
    'plan-of-action-and-milestones': {
      uuid: stableUuid(`poam/${at.toISOString()}/${records.map(r => `${r.id}:${r.revision}`).join(',')}`),
      metadata: md,
      'system-id': { 'identifier-type': NS, id: 'frontier-guard' },
      risks: records.map(risk),
      'poam-items': records.map(r => ({
        uuid: stableUuid(`poam-item/${r.id}/${r.revision}`),
        title: `Exception to ${r.controlId}: ${r.content.scope.findingKey ?? r.content.scope.entityRefs.join(', ')}`,
        description: r.content.justification,
        props: [
          { name: 'control-id', ns: NS, value: r.controlId },
          { name: 'exception-id', ns: NS, value: r.id },
        ],
        'related-risks': [{ 'risk-uuid': stableUuid(`risk/${r.id}/${r.revision}`) }],
      })),
    },
  };
}

/** OSCAL assessment-results: one result whose findings are the excepted controls, not satisfied, risk deviation-approved. */
export function oscalAssessmentResults(records: ExceptionRecord[], at: Date, generatedAt: Date) {
  const md = metadata(`assessment results at ${at.toISOString()}`, generatedAt);
  md.parties = parties(records);
  return {
    'assessment-results': {
      uuid: stableUuid(`ar/${at.toISOString()}/${records.map(r => `${r.id}:${r.revision}`).join(',')}`),
      metadata: md,
      'import-ap': { href: '#frontier-guard-assessment-plan' },
      results: [
        {
          uuid: stableUuid(`ar-result/${at.toISOString()}`),
          title: 'Controls under an approved exception',
          description: 'Each finding is a control that is not satisfied on the scoped entities and is covered by an approved, time-bound exception with compensating controls.',
          start: at.toISOString(),
          'reviewed-controls': {
            'control-selections': [{ 'include-controls': [...new Set(records.map(r => r.controlId))].map(id => ({ 'control-id': id })) }],
          },
          findings: records.map(r => ({
            uuid: stableUuid(`finding/${r.id}/${r.revision}`),
            title: `${r.controlId} excepted until ${r.content.endsAt}`,
            description: r.content.justification,
            target: { type: 'objective-id', 'target-id': r.controlId, status: { state: 'not-satisfied', reason: 'deviation-approved' } },
            'related-risks': [{ 'risk-uuid': stableUuid(`risk/${r.id}/${r.revision}`) }],
          })),
          risks: records.map(risk),
        },
      ],
    },
  };
}
