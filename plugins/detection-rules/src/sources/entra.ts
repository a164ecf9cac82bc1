import type { DetectionEvent } from '../types';
import { OCSF_CLASSES } from '../types';
import { cleanIp } from '../util/net';
import { dyn, getCI, isObject, num, parseTime, pick, str } from '../util/json';
import { NO_VIEW, type RecordRef } from './record';

const SIGNIN_CATEGORIES = new Set([
  'signinlogs',
  'noninteractiveusersigninlogs',
  'serviceprincipalsigninlogs',
  'managedidentitysigninlogs',
]);
const SIGNIN_LA_TYPES = new Set([
  'signinlogs',
  'aadnoninteractiveusersigninlogs',
  'aadserviceprincipalsigninlogs',
  'aadmanagedidentitysigninlogs',
]);

/** Graph `signIn` (camelCase) from any of the three export shapes, or undefined. */
export function asGraphSignIn(rec: Record<string, unknown>, categoryValue: string | undefined = str(getCI(rec, 'category'))): Record<string, unknown> | undefined {
  const odata = str(rec['@odata.type']);
  if (odata && /signin$/i.test(odata)) return rec;
  const category = categoryValue?.toLowerCase();
  if (category && SIGNIN_CATEGORIES.has(category)) {
    const props = getCI(rec, 'properties');
    if (isObject(props)) return { ...props, createdDateTime: props.createdDateTime ?? getCI(rec, 'time'), category };
  }
  const type = str(getCI(rec, 'Type'))?.toLowerCase();
  if ((type && SIGNIN_LA_TYPES.has(type)) || looksLikeLaSignIn(rec)) return fromLogAnalytics(rec, type);
  if (
    'createdDateTime' in rec &&
    ('userPrincipalName' in rec || 'userId' in rec) &&
    isObject(rec.status) &&
    ('ipAddress' in rec || 'appDisplayName' in rec || 'appId' in rec)
  ) {
    return rec;
  }
  return undefined;
}

function looksLikeLaSignIn(rec: Record<string, unknown>): boolean {
  return (
    'ResultType' in rec &&
    ('UserPrincipalName' in rec || 'UserId' in rec) &&
    ('IPAddress' in rec || 'LocationDetails' in rec || 'AppDisplayName' in rec) &&
    !('OperationName' in rec && 'AccountName' in rec)
  );
}

function fromLogAnalytics(rec: Record<string, unknown>, type?: string): Record<string, unknown> {
  const status = dyn(rec.Status);
  const errorCode = num(rec.ResultType) ?? (isObject(status) ? num(status.errorCode) : undefined);
  return {
    id: rec.Id ?? rec.OriginalRequestId,
    createdDateTime: rec.CreatedDateTime ?? rec.TimeGenerated,
    userPrincipalName: rec.UserPrincipalName,
    userId: rec.UserId,
    userDisplayName: rec.UserDisplayName,
    userType: rec.UserType,
    servicePrincipalId: rec.ServicePrincipalId,
    servicePrincipalName: rec.ServicePrincipalName,
    appId: rec.AppId,
    appDisplayName: rec.AppDisplayName,
    resourceDisplayName: rec.ResourceDisplayName,
    ipAddress: rec.IPAddress,
    location: dyn(rec.LocationDetails),
    status: isObject(status)
      ? { ...status, errorCode, failureReason: rec.ResultDescription ?? status.failureReason }
      : { errorCode, failureReason: rec.ResultDescription },
    conditionalAccessStatus: rec.ConditionalAccessStatus,
    authenticationRequirement: rec.AuthenticationRequirement,
    riskLevelDuringSignIn: rec.RiskLevelDuringSignIn,
    riskLevelAggregated: rec.RiskLevelAggregated,
    riskState: rec.RiskState,
    riskDetail: rec.RiskDetail,
    riskEventTypes_v2: dyn(rec.RiskEventTypes_V2),
    deviceDetail: dyn(rec.DeviceDetail),
    clientAppUsed: rec.ClientAppUsed,
    isInteractive: rec.IsInteractive,
    correlationId: rec.CorrelationId,
    mfaDetail: dyn(rec.MfaDetail),
    authenticationDetails: dyn(rec.AuthenticationDetails),
    appliedConditionalAccessPolicies: dyn(rec.ConditionalAccessPolicies),
    userAgent: rec.UserAgent,
    autonomousSystemNumber: rec.AutonomousSystemNumber,
    category: type === 'aadnoninteractiveusersigninlogs' ? 'NonInteractiveUserSignInLogs' : rec.Category,
  };
}

function lower(v: unknown): string | undefined {
  return str(v)?.toLowerCase();
}

function mfaSatisfied(g: Record<string, unknown>, success: boolean): boolean {
  if (!success) return false;
  if (lower(g.authenticationRequirement) === 'multifactorauthentication') return true;
  if (lower(g.riskDetail) === 'userpassedmfadrivenbyriskbasedpolicy') return true;
  const mfa = dyn(g.mfaDetail);
  if (isObject(mfa) && str(mfa.authMethod)) return true;
  const details = dyn(g.authenticationDetails);
  if (Array.isArray(details)) {
    const steps = details.filter(d => isObject(d) && d.succeeded === true);
    if (steps.some(d => /mfa|multi|authenticator|fido|sms|phone|otp|windows hello|passkey/i.test(String((d as any).authenticationMethod ?? '')) && !/password/i.test(String((d as any).authenticationMethod ?? ''))))
      return true;
    // the second factor as Entra names the step ("Multi-factor authentication" / "Multifactor
    // authentication"), whatever the method's wording ("Mobile app notification", "Text message",
    // "OATH verification code", "Passwordless phone sign-in")
    if (steps.some(d => /multi-?factor|^mfa$/i.test(String((d as any).authenticationStepRequirement ?? '')))) return true;
  }
  // a Conditional Access policy that enforced MFA and was satisfied (Graph v1.0 has no
  // authenticationRequirement or authenticationDetails; appliedConditionalAccessPolicies it has)
  const ca = dyn(g.appliedConditionalAccessPolicies);
  if (Array.isArray(ca) && ca.some(p => isObject(p) && lower(p.result) === 'success' && Array.isArray(p.enforcedGrantControls) && p.enforcedGrantControls.some(c => /^(require)?mfa$|multifactor/i.test(String(c)))))
    return true;
  const add = str(isObject(g.status) ? (g.status as any).additionalDetails : undefined);
  return !!add && /mfa (requirement satisfied|completed)/i.test(add);
}

export function normalizeSignIn(g: Record<string, unknown>, r: RecordRef): DetectionEvent {
  const status = isObject(g.status) ? g.status : {};
  const errorCode = num(status.errorCode) ?? 0;
  const success = errorCode === 0;
  const loc = dyn(g.location);
  const geo = isObject(loc) ? dyn(loc.geoCoordinates) : undefined;
  const upn = str(g.userPrincipalName);
  const isService = !upn && !!(str(g.servicePrincipalId) || str(g.servicePrincipalName));
  const risk = lower(g.riskLevelDuringSignIn);
  const riskEvents = dyn(g.riskEventTypes_v2 ?? g.riskEventTypes);
  const time = parseTime(g.createdDateTime);
  const failureReason = str(status.failureReason);
  const device = dyn(g.deviceDetail);
  const view: Record<string, unknown> = !r.wantsView('entra_signin') ? NO_VIEW : {
    TimeGenerated: g.createdDateTime,
    CreatedDateTime: g.createdDateTime,
    Id: g.id,
    UserPrincipalName: upn,
    UserId: g.userId,
    UserDisplayName: g.userDisplayName,
    AppDisplayName: g.appDisplayName,
    AppId: g.appId,
    ResourceDisplayName: g.resourceDisplayName,
    IPAddress: g.ipAddress,
    Location: isObject(loc) ? loc.countryOrRegion : undefined,
    LocationDetails: loc,
    Status: success ? 'Success' : 'Failure',
    StatusDetails: status,
    ResultType: String(errorCode),
    ResultDescription: failureReason,
    ConditionalAccessStatus: g.conditionalAccessStatus,
    AuthenticationRequirement: g.authenticationRequirement,
    RiskLevelDuringSignIn: g.riskLevelDuringSignIn,
    RiskLevelAggregated: g.riskLevelAggregated,
    RiskState: g.riskState,
    RiskDetail: g.riskDetail,
    RiskEventTypes_V2: riskEvents,
    DeviceDetail: device,
    ClientAppUsed: g.clientAppUsed,
    IsInteractive: g.isInteractive,
    CorrelationId: g.correlationId,
    UserAgent: g.userAgent,
    AuthenticationDetails: g.authenticationDetails,
    Category: g.category,
  };
  return {
    id: str(g.id) ?? r.digest(),
    key: r.key(),
    source: 'entra_signin',
    classUid: OCSF_CLASSES.authentication.uid,
    className: OCSF_CLASSES.authentication.name,
    activity: 'logon',
    time,
    outcome: success ? 'success' : 'failure',
    statusCode: String(errorCode),
    statusDetail: failureReason,
    actor: {
      name: upn ?? str(g.servicePrincipalName) ?? str(g.userDisplayName) ?? str(g.userId),
      upn,
      uid: str(g.userId) ?? str(g.servicePrincipalId),
      type: isService ? 'service' : 'user',
      appId: str(g.appId),
      appName: str(g.appDisplayName),
    },
    src: {
      ip: cleanIp(g.ipAddress),
      country: isObject(loc) ? str(loc.countryOrRegion)?.toUpperCase() : undefined,
      city: isObject(loc) ? str(loc.city) : undefined,
      lat: isObject(geo) ? nonZero(num(geo.latitude)) : undefined,
      lon: isObject(geo) ? nonZero(num(geo.longitude)) : undefined,
      asn: num(g.autonomousSystemNumber),
    },
    resource: {
      type: 'entra/app',
      name: str(g.appDisplayName) ?? str(g.resourceDisplayName) ?? 'entra',
    },
    auth: {
      method: str(g.clientAppUsed),
      requirement: str(g.authenticationRequirement),
      mfa: mfaSatisfied(g, success),
      riskLevel: risk,
      riskLevelAggregated: lower(g.riskLevelAggregated),
      riskState: lower(g.riskState),
      riskDetail: str(g.riskDetail),
      riskEventTypes: Array.isArray(riskEvents) ? riskEvents.map(String) : undefined,
      errorCode,
      interactive: typeof g.isInteractive === 'boolean' ? g.isInteractive : undefined,
      caStatus: lower(g.conditionalAccessStatus),
      app: str(g.appDisplayName),
      userAgent: str(g.userAgent),
    },
    view,
    raw: r.raw('entra_signin'),
  };
}

function nonZero(n: number | undefined): number | undefined {
  return n === undefined || n === 0 ? undefined : n;
}

/** Graph `riskDetection` from Graph, diagnostic export or AADUserRiskEvents shape. */
export function asRiskDetection(rec: Record<string, unknown>, categoryValue: string | undefined = str(getCI(rec, 'category'))): Record<string, unknown> | undefined {
  const odata = str(rec['@odata.type']);
  if (odata && /riskdetection$/i.test(odata)) return rec;
  const category = categoryValue?.toLowerCase();
  if (category === 'userriskevents' || category === 'serviceprincipalriskevents') {
    const props = getCI(rec, 'properties');
    if (isObject(props)) return { ...props, detectedDateTime: props.detectedDateTime ?? getCI(rec, 'time') };
  }
  const type = str(rec.Type)?.toLowerCase();
  if (type === 'aaduserriskevents' || ('RiskEventType' in rec && ('DetectedDateTime' in rec || 'ActivityDateTime' in rec))) {
    return {
      id: rec.Id,
      riskEventType: rec.RiskEventType,
      riskLevel: rec.RiskLevel,
      riskState: rec.RiskState,
      riskDetail: rec.RiskDetail,
      source: rec.Source,
      detectionTimingType: rec.DetectionTimingType,
      activity: rec.Activity,
      ipAddress: rec.IpAddress,
      location: dyn(rec.Location),
      activityDateTime: rec.ActivityDateTime,
      detectedDateTime: rec.DetectedDateTime ?? rec.TimeGenerated,
      userId: rec.UserId,
      userDisplayName: rec.UserDisplayName,
      userPrincipalName: rec.UserPrincipalName,
      correlationId: rec.CorrelationId,
      requestId: rec.RequestId,
      additionalInfo: rec.AdditionalInfo,
    };
  }
  if ('riskEventType' in rec && ('activityDateTime' in rec || 'detectedDateTime' in rec)) return rec;
  return undefined;
}

export function normalizeRisk(g: Record<string, unknown>, r: RecordRef): DetectionEvent {
  const loc = dyn(g.location);
  const geo = isObject(loc) ? dyn(loc.geoCoordinates) : undefined;
  const upn = str(g.userPrincipalName);
  const state = lower(g.riskState);
  return {
    id: str(g.id) ?? r.digest(),
    key: r.key(),
    source: 'entra_risk',
    classUid: OCSF_CLASSES.detection_finding.uid,
    className: OCSF_CLASSES.detection_finding.name,
    activity: 'risk',
    time: parseTime(pick(g, 'activityDateTime', 'detectedDateTime')),
    outcome: 'unknown',
    statusDetail: str(g.riskEventType),
    actor: { name: upn ?? str(g.userDisplayName) ?? str(g.userId), upn, uid: str(g.userId), type: 'user' },
    src: {
      ip: cleanIp(g.ipAddress),
      country: isObject(loc) ? str(loc.countryOrRegion)?.toUpperCase() : undefined,
      city: isObject(loc) ? str(loc.city) : undefined,
      lat: isObject(geo) ? num(geo.latitude) : undefined,
      lon: isObject(geo) ? num(geo.longitude) : undefined,
    },
    resource: { type: 'entra/user', name: upn ?? str(g.userId) ?? 'entra' },
    auth: {
      riskLevel: lower(g.riskLevel),
      riskState: state,
      riskDetail: str(g.riskDetail),
      riskEventTypes: str(g.riskEventType) ? [String(g.riskEventType)] : undefined,
    },
    view: r.wantsView('entra_risk') ? g : NO_VIEW,
    raw: r.raw('entra_risk'),
  };
}
