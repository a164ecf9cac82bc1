import crypto from 'node:crypto';
import type { Request } from 'express';
import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import type { JsonObject } from '@backstage/types';
import {
  AccessPolicy,
  AccessRequest,
  AccessRole,
  CreateRequestBody,
  FrozenPolicySummary,
  Grant,
  GrantHistoryEntry,
  GrantStatus,
  PostHocReview,
  PostHocReviewBody,
  RenewBody,
  RequestStatus,
  ResourceDetails,
  ResourceListItem,
  ReviewBody,
  RoleSuggestion,
  SuggestionCandidate,
  BreakGlassBody,
  AccessAppPage,
  FrozenPolicy,
  accessAppLink,
  defaultAccessAppRoutes,
  approvalStepsOf,
  assignApprovals,
  isGrantActive,
  mergeSteps,
  remainingApprovals,
} from '@internal/plugin-access-requests-common';
import type { ProvisioningTarget } from '@internal/plugin-access-requests-node';
import { Clock } from '../clock';
import { LoadedPolicy, freezePolicy, summarizePolicy } from '../domain/policies';
import {
  applyReview,
  canDecideNow,
  checkWithdraw,
  decisionDeadline,
  eligibleStepGroups,
  isSelfService,
  notApproverMessage,
  validateNewRequest,
} from '../domain/requests';
import {
  POST_HOC_REVIEWS_NEEDED,
  checkPostHocReview,
  checkRenew,
  checkRevoke,
  otherHolder,
  validateBreakGlass,
} from '../domain/grants';
import { AccessStore, GrantRecord, RequestRecord, ReviewRecord, Tx } from '../store/AccessStore';
import { Directory, RequestableResource } from './CatalogDirectory';
import { Notifier } from './Notifier';
import { ProvisionerRegistry } from './ProvisionerRegistry';
import { markAudited } from '../refusals';
import { refusalIds } from '../domain/refusalErrors';

/** Who is acting, and the HTTP request for audit context when there is one. */
export interface Actor {
  userRef: string;
  request?: Request;
  /**
   * The caller's own credentials, when the action comes from a person over HTTP: entity refs
   * they send are looked up in the catalog with them (an entity they may not see is not found).
   */
  credentials?: unknown;
}

export const SYSTEM_ACTOR = 'system:access-requests';

export interface RoleSuggesterLike {
  suggest(input: { query: string; candidates: SuggestionCandidate[] }): Promise<RoleSuggestion | undefined>;
}

export interface PolicySource {
  get(name: string): LoadedPolicy | undefined;
}

/** One grant of GET /grants/export (shape documented in the README). */
export interface GrantExportItem {
  id: string;
  user: { ref: string; email?: string; upn?: string; objectId?: string; displayName?: string };
  resource: { ref: string; title?: string; azureScope?: string };
  role: string;
  status: string;
  start: string;
  end: string;
  revokedAt: string | null;
  breakGlass: boolean;
}

export interface AccessRequestsServiceOptions {
  store: AccessStore;
  policies: PolicySource;
  directory: Directory;
  provisioners: ProvisionerRegistry;
  notifier: Notifier;
  auditor: AuditorService;
  logger: LoggerService;
  clock: Clock;
  suggester?: RoleSuggesterLike;
  platformAdminGroup?: string;
  securityReviewerGroup?: string;
  reminderMinutesBefore?: number;
  /** frontend base URL for notification links */
  appBaseUrl?: string;
  /** app route paths of the access pages (default: the paths the portal serves, from -common) */
  appRoutes?: Record<AccessAppPage, string>;
  /**
   * Links as app paths ('/access/requests/…', the default: the portal opens them in the same
   * tab and prefixes its base path) or absolute with `appBaseUrl` (for e-mail-only setups).
   */
  absoluteLinks?: boolean;
}

function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return err?.code === '23505' || /UNIQUE constraint failed|unique constraint/i.test(err?.message ?? '');
}

const iso = (d: Date) => d.toISOString();

/** The sentence that ends the requester's notification of a review, by the request's status after it. */
const REVIEW_OUTCOME_SENTENCE: Partial<Record<string, string>> = {
  approved: ' Your access is being set up.',
  denied: ' The request is denied.',
};

/** A scheduled grant whose provisioning has not finished after this long is provisioned by the sweep. */
const STALE_PROVISIONING_MS = 2 * 60_000;

export interface SweepResult {
  expiredRequests: number;
  expiredGrants: number;
  deprovisioned: number;
  resumed: number;
  reminders: number;
}

/**
 * The access-requests use cases. Rules live in ../domain (pure); this class loads state,
 * applies the rules inside transactions, provisions outside them, audits and notifies.
 */
export class AccessRequestsService {
  private readonly o: Required<Pick<AccessRequestsServiceOptions, 'platformAdminGroup' | 'securityReviewerGroup' | 'reminderMinutesBefore'>> &
    AccessRequestsServiceOptions;

  constructor(options: AccessRequestsServiceOptions) {
    this.o = {
      ...options,
      platformAdminGroup: options.platformAdminGroup ?? 'group:default/platform-admins',
      securityReviewerGroup: options.securityReviewerGroup ?? 'group:default/security-reviewers',
      reminderMinutesBefore: options.reminderMinutesBefore ?? 30,
    };
  }

  get clock(): Clock {
    return this.o.clock;
  }

  private now() {
    return this.o.clock.now();
  }

  /** An absolute link to an access page of the app (its route paths come from config). */
  private link(page: AccessAppPage, id?: string) {
    const base = this.o.absoluteLinks ? this.o.appBaseUrl : undefined;
    return accessAppLink(base, this.o.appRoutes ?? defaultAccessAppRoutes(), page, id);
  }

  /** A person's or group's display name for notification text; the ref's name when unknown. */
  private async nameOf(ref: string): Promise<string> {
    const fallback = ref.slice(ref.lastIndexOf('/') + 1);
    try {
      return (await this.o.directory.displayName?.(ref)) || fallback;
    } catch {
      return fallback;
    }
  }

  /**
   * The not-approver refusal of applyReview (the only one carrying `ids.groups`) reworded with
   * the groups' catalog names; asked after the transaction, so no row lock waits on the catalog.
   */
  private async withApproverGroupNames(error: unknown): Promise<unknown> {
    const refs = refusalIds(error)?.ids.groups;
    if (!refs || !(error instanceof NotAllowedError)) return error;
    const names = await Promise.all(refs.split(' ').map(ref => this.nameOf(ref)));
    return Object.assign(new NotAllowedError(notApproverMessage(names)), { ids: { groups: refs } });
  }

  /** Role and resource titles of a grant or request for notification text. */
  private async titlesOf(r: { resourceRef: string; roleId: string }): Promise<{ role: string; resource: string }> {
    try {
      const resource = await this.o.directory.getResource(r.resourceRef);
      const policy = resource?.policyName ? this.o.policies.get(resource.policyName)?.policy : undefined;
      const role = policy?.roles.find(x => x.id === r.roleId);
      return { role: role?.title ?? r.roleId, resource: resource?.title ?? r.resourceRef.slice(r.resourceRef.lastIndexOf('/') + 1) };
    } catch {
      return { role: r.roleId, resource: r.resourceRef };
    }
  }

  /**
   * Turns the approvers' "please review" notification of a request (same scope) into a
   * "decided, nothing to do" one once the request no longer needs them. `toldDone`: reviewers
   * whose notification already says "done" (they reviewed while the request was pending) are
   * left out — a replacement with the same scope would bring their notification back as unread
   * (the notifications backend resets `read` on every replacement), for nothing they need to do.
   */
  private notifyRequestDone(
    request: { id: string; policy: FrozenPolicy; requester: string },
    text: { what: string; resource: string; requesterName: string },
    toldDone: string[],
  ) {
    const exclude = [...new Set([request.requester, ...toldDone])];
    this.o.notifier.dispatch({
      to: mergeSteps(approvalStepsOf(request.policy)).map(s => s.group),
      exclude: exclude.length === 1 ? exclude[0] : exclude,
      title: `Done: ${text.requesterName}'s request for ${text.resource} was ${text.what}. Nothing left to do.`,
      link: this.link('request', request.id),
      severity: 'low',
      scope: `access-request:${request.id}`,
    });
  }

  /** Runs fn as one audit event: success with its meta, or fail with the error (rethrown). */
  private async audited<T>(
    eventId: string,
    severityLevel: 'low' | 'medium' | 'high' | 'critical',
    actor: Actor | undefined,
    meta: JsonObject,
    fn: () => Promise<T>,
    successMeta?: (r: T) => JsonObject,
  ): Promise<T> {
    const ev = await this.o.auditor.createEvent({
      eventId,
      severityLevel,
      request: actor?.request,
      meta: { actor: actor?.userRef ?? SYSTEM_ACTOR, ...meta },
    });
    try {
      const result = await fn();
      await ev.success({ meta: successMeta ? successMeta(result) : undefined });
      return result;
    } catch (error) {
      // a refusal worded by titles keeps its ids (e.g. the policy id) in the event's meta
      await ev.fail({ error: error as Error, meta: refusalIds(error) });
      throw markAudited(error);
    }
  }

  /** Records a system event (scheduler, provisioning) that has no HTTP request. */
  private async auditSystem(eventId: string, severityLevel: 'low' | 'medium' | 'high' | 'critical', meta: JsonObject, error?: Error) {
    const ev = await this.o.auditor.createEvent({ eventId, severityLevel, meta });
    if (error) await ev.fail({ error, meta });
    else await ev.success({ meta });
  }

  // ---------------------------------------------------------------- resources

  /**
   * The resource of a client's `resourceRef`: it must exist, be visible to the caller in the
   * catalog (looked up with their own credentials when there are any) and carry a policy.
   */
  private async requestable(resourceRef: string, actor?: Actor): Promise<{ resource: RequestableResource; loaded: LoadedPolicy }> {
    const [resource, visible] = await Promise.all([
      this.o.directory.getResource(resourceRef),
      actor?.credentials && this.o.directory.isVisibleTo
        ? this.o.directory.isVisibleTo(resourceRef, actor.credentials)
        : Promise.resolve(true),
    ]);
    if (!resource || !visible) throw new NotFoundError(`resourceRef: ${resourceRef} not found in the catalog`);
    if (!resource.policyName) {
      throw new InputError(`resourceRef: ${resourceRef} has no frontier-guard.io/access-policy annotation; it is not requestable`);
    }
    const loaded = this.o.policies.get(resource.policyName);
    if (!loaded) {
      throw new InputError(`resourceRef: access policy '${resource.policyName}' of ${resourceRef} is missing or invalid`);
    }
    return { resource, loaded };
  }

  /** Resources matching free text, among those the caller may see in the catalog. */
  async searchResources(query: string, actor?: Actor): Promise<{ items: ResourceListItem[]; suggestion?: RoleSuggestion }> {
    const found = await this.o.directory.searchResources(query, undefined, actor?.credentials);
    const items: ResourceListItem[] = [];
    const candidates: SuggestionCandidate[] = [];
    for (const r of found) {
      const loaded = r.policyName ? this.o.policies.get(r.policyName) : undefined;
      if (!loaded) continue;
      items.push({
        entityRef: r.snapshot.entityRef,
        title: r.title,
        description: r.description,
        type: r.snapshot.type,
        policy: summarizePolicy(loaded.policy),
      });
      for (const role of loaded.policy.roles) {
        candidates.push({
          resourceRef: r.snapshot.entityRef,
          resourceTitle: r.title,
          resourceDescription: r.description,
          roleId: role.id,
          roleTitle: role.title,
          roleDescription: role.description ?? '',
          allows: role.allows,
          privilege: role.privilege,
        });
      }
    }
    let suggestion: RoleSuggestion | undefined;
    if (this.o.suggester && query.trim() && candidates.length > 0) {
      try {
        suggestion = await this.o.suggester.suggest({ query, candidates });
        // never trust a suggestion outside the candidates
        if (suggestion && !candidates.some(c => c.resourceRef === suggestion!.resourceRef && c.roleId === suggestion!.roleId)) {
          this.o.logger.warn(`access-requests: suggester returned a non-candidate ${suggestion.resourceRef}/${suggestion.roleId}; dropped`);
          suggestion = undefined;
        }
      } catch (e) {
        this.o.logger.warn(`access-requests: role suggestion failed: ${(e as Error).message}`);
      }
    }
    return { items, suggestion };
  }

  /**
   * A resource with its grants. Same read rule as `getGrant`: the caller's own grants, or every
   * holder's with read-all — never other people's justifications and provisioning ids otherwise.
   */
  async getResourceDetails(actor: Actor, resourceRef: string, canReadAll: boolean): Promise<ResourceDetails> {
    const { resource, loaded } = await this.requestable(resourceRef, actor);
    const grants = await this.o.store.listGrants({
      resourceRef: resource.snapshot.entityRef,
      userRef: canReadAll ? undefined : actor.userRef,
      limit: 200,
    });
    const views = await this.grantViews(grants);
    const now = this.now();
    return {
      entityRef: resource.snapshot.entityRef,
      title: resource.title,
      policy: summarizePolicy(loaded.policy) as FrozenPolicySummary,
      activeGrants: views.filter(g => isGrantActive(g, now)),
      history: views,
    };
  }

  // ---------------------------------------------------------------- requests

  async createRequest(actor: Actor, body: CreateRequestBody, options: { renewsGrantId?: string } = {}): Promise<AccessRequest> {
    return this.audited(
      options.renewsGrantId ? 'grant-renew-request' : 'request-create',
      'medium',
      actor,
      { resourceRef: body.resourceRef, roleId: body.roleId, durationMinutes: body.durationMinutes, renewsGrantId: options.renewsGrantId ?? null },
      async () => {
        const { resource, loaded } = await this.requestable(body.resourceRef, actor);
        const role = validateNewRequest(loaded.policy, body);
        const now = this.now();
        const policy = freezePolicy({ policy: loaded.policy, roleId: role.id, ownerRef: resource.ownerRef, now, digest: loaded.digest });
        const selfService = isSelfService(loaded.policy, role);
        const record: RequestRecord = {
          id: crypto.randomUUID(),
          resourceRef: resource.snapshot.entityRef,
          roleId: role.id,
          requester: actor.userRef,
          justification: body.justification?.trim() ?? '',
          ticket: body.ticket?.trim() || undefined,
          durationMinutes: body.durationMinutes,
          status: selfService ? 'approved' : 'pending',
          createdAt: iso(now),
          decidedAt: selfService ? iso(now) : undefined,
          expiresAt: iso(decisionDeadline(loaded.policy, now)),
          policy,
          resource: resource.snapshot,
          renewsGrantId: options.renewsGrantId,
          selfService,
        };
        let grant: GrantRecord | undefined;
        if (selfService) {
          grant = this.newGrantRecord({ request: record, role, now, breakGlass: false });
          record.grantId = grant.id;
          await this.o.store.transaction(async tx => {
            await this.o.store.insertRequest(record, tx);
            await this.o.store.insertGrant(grant!, tx);
            await this.o.store.appendHistory(grant!.id, {
              at: iso(now), event: 'created', actor: actor.userRef,
              details: { requestId: record.id, selfService: true },
            }, tx);
          });
        } else {
          // one statement: atomic on its own, no transaction round-trips needed
          await this.o.store.insertRequest(record);
        }
        if (selfService && grant) {
          await this.auditSystem('request-self-service-approve', 'medium', {
            actor: actor.userRef, requestId: record.id, resourceRef: record.resourceRef, roleId: record.roleId, grantId: grant.id,
          });
          await this.provision(grant.id, actor.userRef, grant);
        } else {
          const groups = mergeSteps(approvalStepsOf(policy)).map(s => s.group);
          this.o.notifier.dispatch({
            to: groups,
            exclude: actor.userRef,
            title: `Access request: ${await this.nameOf(actor.userRef)} asks for ${role.title} on ${resource.title}`,
            description: `For ${body.durationMinutes} min. Justification: ${record.justification || '(none)'}`,
            link: this.link('request', record.id),
            // the same scope is re-sent when the request is decided, so this one says "done"
            scope: `access-request:${record.id}`,
          });
        }
        // exactly what was just written (a new request has no reviews yet)
        return this.toRequestView(record, []);
      },
      r => ({ requestId: r.id, status: r.status, grantId: r.grantId ?? null }),
    );
  }

  private newGrantRecord(options: {
    request?: RequestRecord;
    resource?: RequestableResource;
    userRef?: string;
    role: AccessRole;
    now: Date;
    durationMinutes?: number;
    breakGlass: boolean;
    justification?: string;
  }): GrantRecord {
    const id = crypto.randomUUID();
    const durationMinutes = options.request?.durationMinutes ?? options.durationMinutes!;
    const startsAt = iso(options.now);
    const expiresAt = iso(new Date(options.now.getTime() + durationMinutes * 60_000));
    const snapshot = options.request?.resource ?? options.resource!.snapshot;
    const userRef = options.request?.requester ?? options.userRef!;
    const target: ProvisioningTarget = {
      grantId: id,
      requestId: options.request?.id,
      userRef,
      resource: { entityRef: snapshot.entityRef, kind: snapshot.kind, type: snapshot.type, annotations: snapshot.annotations },
      role: {
        id: options.role.id,
        title: options.role.title,
        allows: options.role.allows,
        privilege: options.role.privilege,
        provisioner: options.role.provisioner,
      },
      startsAt,
      expiresAt,
    };
    return {
      id,
      requestId: options.request?.id,
      resourceRef: snapshot.entityRef,
      roleId: options.role.id,
      userRef,
      status: 'scheduled',
      startsAt,
      expiresAt,
      breakGlass: options.breakGlass,
      justification: options.request?.justification ?? options.justification,
      provisioning: { state: 'pending' },
      target,
    };
  }

  async getRequestView(id: string, tx?: Tx): Promise<AccessRequest> {
    const record = await this.o.store.getRequest(id, { tx });
    if (!record) throw new NotFoundError(`request ${id} not found`);
    const reviews = (await this.o.store.listReviews([id], tx)).get(id) ?? [];
    return this.toRequestView(record, reviews);
  }

  private toRequestView(record: RequestRecord, reviews: ReviewRecord[]): AccessRequest {
    const assignment = assignApprovals(mergeSteps(approvalStepsOf(record.policy)), reviews);
    return {
      id: record.id,
      resourceRef: record.resourceRef,
      roleId: record.roleId,
      requester: record.requester,
      justification: record.justification,
      ticket: record.ticket,
      durationMinutes: record.durationMinutes,
      status: record.status,
      createdAt: record.createdAt,
      decidedAt: record.decidedAt,
      expiresAt: record.expiresAt,
      policy: record.policy,
      reviews: reviews.map(r => ({
        reviewer: r.reviewer,
        decision: r.decision,
        comment: r.comment,
        createdAt: r.createdAt,
        eligibleGroups: r.eligibleGroups,
        asGroup: assignment.get(r.reviewer),
      })),
      remaining: remainingApprovals(record.policy, reviews),
      grantId: record.grantId,
      renewsGrantId: record.renewsGrantId,
      selfService: record.selfService,
    };
  }

  /**
   * Who may read a request (justification, ticket, reviews): the requester; read-all holders;
   * people who reviewed it; and, while it is pending, current members of one of its approval
   * groups (the people who may decide it — what the inbox shows them). Once decided, a member of
   * an approval group who did not review it no longer reads it. The grant of the request is
   * included only for its holder and read-all holders (as `GET /grants/:id`).
   */
  async getRequest(actor: Actor, id: string, canReadAll: boolean): Promise<{ request: AccessRequest; grant?: Grant }> {
    const request = await this.getRequestView(id);
    const isRequester = request.requester === actor.userRef;
    if (!canReadAll && !isRequester && !request.reviews.some(r => r.reviewer === actor.userRef)) {
      const groups = request.status === 'pending' ? await this.o.directory.currentGroups(actor.userRef) : new Set<string>();
      if (eligibleStepGroups(request.policy, groups).length === 0) {
        throw new NotAllowedError('you may not read this request');
      }
    }
    const grant = request.grantId && (canReadAll || isRequester) ? await this.getGrantView(request.grantId) : undefined;
    return { request, grant };
  }

  async listRequests(
    actor: Actor,
    query: { scope: 'mine' | 'inbox' | 'reviewed' | 'all'; resourceRef?: string; status?: RequestStatus },
    canReadAll: boolean,
  ): Promise<AccessRequest[]> {
    if (query.scope === 'all' && !canReadAll) throw new NotAllowedError('scope=all requires access-requests.read-all');
    let records: RequestRecord[];
    if (query.scope === 'inbox') {
      if (query.status && query.status !== 'pending') return [];
      records = await this.o.store.listRequests({ status: 'pending', resourceRef: query.resourceRef, limit: 1000 });
    } else {
      records = await this.o.store.listRequests({
        requester: query.scope === 'mine' ? actor.userRef : undefined,
        // requests the caller reviewed: readable by their reviewer (same rule as GET /requests/:id)
        reviewer: query.scope === 'reviewed' ? actor.userRef : undefined,
        resourceRef: query.resourceRef,
        status: query.status,
      });
    }
    const reviews = await this.o.store.listReviews(records.map(r => r.id));
    let views = records.map(r => this.toRequestView(r, reviews.get(r.id) ?? []));
    if (query.scope === 'inbox') {
      const groups = await this.o.directory.currentGroups(actor.userRef);
      const now = this.now();
      views = views.filter(v => canDecideNow(v, actor.userRef, groups, now));
    }
    return views;
  }

  /**
   * One review. Review + threshold check + state transition + grant creation happen in ONE
   * transaction holding a row lock on the request, so two simultaneous approvals produce
   * exactly one grant (UNIQUE(access_grants.request_id) is the last line of defence).
   */
  async review(actor: Actor, id: string, body: ReviewBody): Promise<{ request: AccessRequest; grant?: Grant }> {
    return this.audited(
      'request-review',
      'medium',
      actor,
      { requestId: id, decision: body.decision },
      async () => {
        // eligibility from CURRENT catalog membership (one catalog call per review, no cache),
        // resolved before taking the lock; matched against the locked request's frozen policy
        const groups = await this.o.directory.currentGroups(actor.userRef);
        const now = this.now();

        type TxResult =
          | { expired: true }
          | {
              expired: false;
              status: RequestStatus;
              grant?: GrantRecord;
              created?: GrantHistoryEntry;
              role: AccessRole;
              request: RequestRecord;
              reviews: ReviewRecord[];
            };
        let result: TxResult;
        try {
          result = await this.o.store.transaction<TxResult>(async tx => {
            const request = await this.o.store.getRequest(id, { tx, forUpdate: true });
            if (!request) throw new NotFoundError(`request ${id} not found`);
            if (request.status === 'pending' && now.getTime() >= Date.parse(request.expiresAt)) {
              await this.o.store.decideRequest(id, { status: 'expired', decidedAt: iso(now) }, tx);
              return { expired: true };
            }
            const eligibleGroups = eligibleStepGroups(request.policy, groups);
            const existing = (await this.o.store.listReviews([id], tx)).get(id) ?? [];
            const outcome = applyReview(request, existing, { reviewer: actor.userRef, decision: body.decision, eligibleGroups }, now);
            const review: ReviewRecord = {
              requestId: id,
              reviewer: actor.userRef,
              decision: body.decision,
              comment: body.comment ?? '',
              eligibleGroups,
              createdAt: iso(now),
            };
            await this.o.store.insertReview(review, tx);
            const reviews = [...existing, review];
            const role = request.policy.roles.find(r => r.id === request.roleId)!;
            if (outcome.status === 'pending') return { expired: false, status: 'pending', role, request, reviews };
            let grant: GrantRecord | undefined;
            if (outcome.status === 'approved') {
              grant = this.newGrantRecord({ request, role, now, breakGlass: false });
            }
            const changed = await this.o.store.decideRequest(id, { status: outcome.status, decidedAt: iso(now), grantId: grant?.id }, tx);
            if (!changed) throw new ConflictError('request was decided concurrently');
            let created: GrantHistoryEntry | undefined;
            if (grant) {
              created = { at: iso(now), event: 'created', actor: actor.userRef, details: { requestId: id } };
              await this.o.store.insertGrant(grant, tx);
              await this.o.store.appendHistory(grant.id, created, tx);
            }
            const decided: RequestRecord = { ...request, status: outcome.status, decidedAt: iso(now), grantId: grant?.id };
            return { expired: false, status: outcome.status, grant, created, role, request: decided, reviews };
          });
        } catch (e) {
          if (isUniqueViolation(e)) throw new ConflictError('you have already reviewed this request, or it was decided concurrently');
          throw await this.withApproverGroupNames(e);
        }
        if (result.expired) {
          await this.auditSystem('request-expire', 'low', { requestId: id });
          throw new ConflictError('request passed its decision deadline and has expired');
        }
        const before = result.request;
        if (result.status === 'denied') {
          await this.auditSystem('request-deny', 'medium', { requestId: id, actor: actor.userRef, policyKind: before.policy.kind });
        }
        const reviewerName = await this.nameOf(actor.userRef);
        const resourceTitle = before.resource.title ?? before.resourceRef;
        const outcome = REVIEW_OUTCOME_SENTENCE[result.status] ?? '';
        this.o.notifier.dispatch({
          to: before.requester,
          title: `${reviewerName} ${body.decision === 'approve' ? 'approved' : 'denied'} your request for ${result.role.title} on ${resourceTitle}.${outcome}`,
          description: body.comment ? `Reason: ${body.comment}` : undefined,
          link: this.link('request', id),
          severity: result.status === 'denied' ? 'high' : 'normal',
        });
        const requesterName = await this.nameOf(before.requester);
        if (result.status !== 'pending') {
          // the earlier reviewers were told "done" when they reviewed (below)
          const toldDone = result.reviews.map(r => r.reviewer).filter(r => r !== actor.userRef);
          this.notifyRequestDone(before, { what: result.status, resource: resourceTitle, requesterName }, toldDone);
        } else {
          // the reviewer's own "please review" notification: nothing left for them to do
          this.o.notifier.dispatch({
            to: actor.userRef,
            title: `Done: you ${body.decision === 'approve' ? 'approved' : 'denied'} ${requesterName}'s request for ${resourceTitle}; it waits for other approvers.`,
            link: this.link('request', id),
            severity: 'low',
            scope: `access-request:${id}`,
          });
        }
        let grant: Grant | undefined;
        if (result.grant) {
          const provisioned = await this.provision(result.grant.id, actor.userRef, result.grant);
          // the grant as this call wrote it; read back only if it changed concurrently
          grant = provisioned
            ? this.toGrantView(provisioned.record, [result.created!, ...provisioned.appended], [], this.now())
            : await this.getGrantView(result.grant.id);
        }
        // the request as this transaction committed it (a decided request never changes again)
        return { request: this.toRequestView(result.request, result.reviews), grant };
      },
      r => ({ status: r.request.status, grantId: r.grant?.id ?? null }),
    );
  }

  async withdraw(actor: Actor, id: string): Promise<AccessRequest> {
    return this.audited('request-withdraw', 'low', actor, { requestId: id }, async () => {
      const now = this.now();
      await this.o.store.transaction(async tx => {
        const request = await this.o.store.getRequest(id, { tx, forUpdate: true });
        if (!request) throw new NotFoundError(`request ${id} not found`);
        checkWithdraw(request, actor.userRef);
        const ok = await this.o.store.decideRequest(id, { status: 'withdrawn', decidedAt: iso(now) }, tx);
        if (!ok) throw new ConflictError('request was decided concurrently');
      });
      const view = await this.getRequestView(id);
      const titles = await this.titlesOf(view);
      this.notifyRequestDone(view, { what: 'withdrawn', resource: titles.resource, requesterName: await this.nameOf(view.requester) }, view.reviews.map(r => r.reviewer));
      return view;
    });
  }

  // ---------------------------------------------------------------- grants

  async getGrantView(id: string): Promise<Grant> {
    const record = await this.o.store.getGrant(id);
    if (!record) throw new NotFoundError(`grant ${id} not found`);
    return (await this.grantViews([record]))[0];
  }

  private async grantViews(records: GrantRecord[]): Promise<Grant[]> {
    const ids = records.map(g => g.id);
    const history = await this.o.store.listHistory(ids);
    const postHoc = await this.o.store.listPostHocReviews(records.filter(g => g.breakGlass).map(g => g.id));
    const now = this.now();
    return records.map(g => this.toGrantView(g, history.get(g.id) ?? [], postHoc.get(g.id) ?? [], now));
  }

  private toGrantView(g: GrantRecord, history: GrantHistoryEntry[], postHocReviews: PostHocReview[], now: Date): Grant {
    const view: Grant = {
      id: g.id,
      requestId: g.requestId,
      resourceRef: g.resourceRef,
      roleId: g.roleId,
      userRef: g.userRef,
      status: g.status,
      startsAt: g.startsAt,
      expiresAt: g.expiresAt,
      breakGlass: g.breakGlass,
      justification: g.justification,
      provisioning: g.provisioning,
      history,
    };
    view.active = isGrantActive(view, now);
    if (g.breakGlass) {
      view.postHocReviews = postHocReviews;
      view.postHocReviewsNeeded = POST_HOC_REVIEWS_NEEDED;
    }
    return view;
  }

  async listGrants(
    actor: Actor,
    query: { scope: 'mine' | 'all'; resourceRef?: string; status?: GrantStatus },
    canReadAll: boolean,
  ): Promise<Grant[]> {
    if (query.scope === 'all' && !canReadAll) throw new NotAllowedError('scope=all requires access-requests.read-all');
    const records = await this.o.store.listGrants({
      userRef: query.scope === 'mine' ? actor.userRef : undefined,
      resourceRef: query.resourceRef,
      status: query.status,
    });
    return this.grantViews(records);
  }

  /**
   * Every grant with who holds it (e-mail/UPN, Entra object id) and on what (Azure scope), for
   * offline detection (`detections replay --grants`). `end` is the earlier of the expiry and the
   * revocation. Callers: service tokens and read-all holders (checked by the router).
   */
  async exportGrants(limit = 50_000): Promise<{ generatedAt: string; grants: GrantExportItem[] }> {
    const records = await this.o.store.listGrants({ limit });
    const history = await this.o.store.listHistory(records.map(g => g.id));
    const users = new Map<string, { email?: string; objectId?: string; displayName?: string } | undefined>();
    const scopes = new Map<string, { title?: string; azureScope?: string }>();
    for (const g of records) {
      if (!users.has(g.userRef)) users.set(g.userRef, await this.o.directory.userIdentity?.(g.userRef).catch(() => undefined));
      if (!scopes.has(g.resourceRef)) {
        const r = await this.o.directory.getResource(g.resourceRef).catch(() => undefined);
        scopes.set(g.resourceRef, { title: r?.title, azureScope: r?.snapshot.annotations['frontier-guard.io/azure-scope'] });
      }
    }
    const grants = records.map(g => {
      const ended = g.status === 'revoked' ? (history.get(g.id) ?? []).find(h => h.event === 'revoked')?.at : undefined;
      const u = users.get(g.userRef);
      return {
        id: g.id,
        user: { ref: g.userRef, email: u?.email, upn: u?.email, objectId: u?.objectId, displayName: u?.displayName },
        resource: { ref: g.resourceRef, ...scopes.get(g.resourceRef) },
        role: g.roleId,
        status: g.status,
        start: g.startsAt,
        end: ended && ended < g.expiresAt ? ended : g.expiresAt,
        revokedAt: ended ?? null,
        breakGlass: g.breakGlass,
      };
    });
    return { generatedAt: iso(this.now()), grants };
  }

  async getGrant(actor: Actor, id: string, canReadAll: boolean): Promise<Grant> {
    const grant = await this.getGrantView(id);
    if (!canReadAll && grant.userRef !== actor.userRef) throw new NotAllowedError('you may not read this grant');
    return grant;
  }

  private async appendHistory(grantId: string, event: string, actor: string, details?: Record<string, unknown>) {
    const entry: GrantHistoryEntry = { at: iso(this.now()), event, actor, details };
    await this.o.store.appendHistory(grantId, entry);
  }

  /**
   * Runs the provisioner for a scheduled grant, outside any DB transaction. Success makes the
   * grant active; failure marks it failed with the error (never active) and it can be retried.
   * Returns the grant as this call left it and the history entries it appended, or undefined
   * when it did nothing or the grant changed concurrently (read it again then).
   */
  async provision(
    grantId: string,
    actorRef: string,
    justCreated?: GrantRecord,
  ): Promise<{ record: GrantRecord; appended: GrantHistoryEntry[] } | undefined> {
    // `justCreated`: the record this process committed a moment ago (saves a read); the
    // compare-and-set below still guards against any concurrent change
    const grant = justCreated?.id === grantId ? justCreated : await this.o.store.getGrant(grantId);
    if (!grant || grant.status !== 'scheduled') return undefined;
    const provisioner = this.o.provisioners.get(grant.target.role.provisioner?.type);
    try {
      if (!provisioner) {
        throw new Error(
          `no provisioner registered for type '${grant.target.role.provisioner?.type}' (registered: ${this.o.provisioners.types().join(', ')})`,
        );
      }
      const result = await provisioner.provision(grant.target);
      const entry: GrantHistoryEntry = {
        at: iso(this.now()), event: 'provisioned', actor: actorRef,
        details: {
          provisioner: provisioner.type, requestedType: grant.target.role.provisioner?.type ?? 'record-only', externalId: result.externalId ?? null, ...(result.details ?? {}),
        },
      };
      // state change and its history entry in one atomic step
      const ok = await this.o.store.updateGrantWithHistory(
        grantId,
        { status: 'active', provisioning: { state: 'provisioned', error: null, externalId: result.externalId ?? null } },
        { fromStatus: ['scheduled'] },
        entry,
      );
      if (!ok) {
        // revoked or expired while we were provisioning: take it away again
        await this.o.store.updateGrant(grantId, { provisioning: { state: 'provisioned', externalId: result.externalId ?? null } });
        await this.deprovisionIfUnheld(grantId, SYSTEM_ACTOR);
        return undefined;
      }
      await this.auditSystem('grant-active', 'medium', {
        actor: actorRef, grantId, userRef: grant.userRef, resourceRef: grant.resourceRef, roleId: grant.roleId,
        expiresAt: grant.expiresAt, breakGlass: grant.breakGlass, provisioner: provisioner.type,
      });
      return {
        record: { ...grant, status: 'active', provisioning: { state: 'provisioned', externalId: result.externalId ?? undefined } },
        appended: [entry],
      };
    } catch (e) {
      const message = (e as Error).message ?? String(e);
      const entry: GrantHistoryEntry = { at: iso(this.now()), event: 'provisioning-failed', actor: actorRef, details: { error: message } };
      const failed = await this.o.store.updateGrantWithHistory(
        grantId,
        { status: 'failed', provisioning: { state: 'failed', error: message } },
        { fromStatus: ['scheduled'] },
        entry,
      );
      await this.auditSystem('grant-provisioning-failed', 'high', {
        actor: actorRef, grantId, userRef: grant.userRef, resourceRef: grant.resourceRef, roleId: grant.roleId,
      }, e as Error);
      this.o.logger.warn(`access-requests: provisioning grant ${grantId} failed: ${message}`);
      if (!failed) return undefined;
      return {
        record: { ...grant, status: 'failed', provisioning: { ...grant.provisioning, state: 'failed', error: message } },
        appended: [entry],
      };
    }
  }

  async retryGrant(actor: Actor, id: string, hasRevokePermission: boolean): Promise<Grant> {
    return this.audited('grant-retry', 'medium', actor, { grantId: id }, async () => {
      const grant = await this.o.store.getGrant(id);
      if (!grant) throw new NotFoundError(`grant ${id} not found`);
      if (grant.userRef !== actor.userRef && !hasRevokePermission) throw new NotAllowedError('you may only retry your own grants');
      if (grant.status !== 'failed') throw new ConflictError(`only failed grants can be retried; this one is ${grant.status}`);
      if (this.now().getTime() >= Date.parse(grant.expiresAt)) throw new ConflictError('the grant window has passed; request access again');
      const ok = await this.o.store.updateGrant(id, { status: 'scheduled', provisioning: { state: 'pending', error: null } }, { fromStatus: ['failed'] });
      if (!ok) throw new ConflictError('grant changed concurrently');
      await this.appendHistory(id, 'retry', actor.userRef);
      await this.provision(id, actor.userRef);
      return this.getGrantView(id);
    }, g => ({ status: g.status, provisioning: g.provisioning.state }));
  }

  async revokeGrant(actor: Actor, id: string, reason: string, hasRevokePermission: boolean): Promise<Grant> {
    return this.audited('grant-revoke', 'high', actor, { grantId: id, reason }, async () => {
      await this.o.store.transaction(async tx => {
        const grant = await this.o.store.getGrant(id, { tx, forUpdate: true });
        if (!grant) throw new NotFoundError(`grant ${id} not found`);
        checkRevoke(grant, actor.userRef, hasRevokePermission);
        const ok = await this.o.store.updateGrant(id, { status: 'revoked' }, { tx, fromStatus: ['scheduled', 'active', 'failed'] });
        if (!ok) throw new ConflictError('grant changed concurrently');
        await this.o.store.appendHistory(id, { at: iso(this.now()), event: 'revoked', actor: actor.userRef, details: { reason } }, tx);
      });
      await this.deprovisionIfUnheld(id, actor.userRef);
      const grant = await this.getGrantView(id);
      const titles = await this.titlesOf(grant);
      this.o.notifier.dispatch({
        to: grant.userRef, exclude: actor.userRef,
        title: `${await this.nameOf(actor.userRef)} ended your ${titles.role} access to ${titles.resource}`,
        description: `Reason: ${reason}`, link: this.link('grant', grant.id), severity: 'high',
      });
      return grant;
    });
  }

  /**
   * Removes the external access of an ended grant unless ANOTHER grant of the same
   * user/resource/role still holds it (overlapping grants are counted).
   */
  async deprovisionIfUnheld(grantId: string, actorRef: string): Promise<void> {
    const grant = await this.o.store.getGrant(grantId);
    if (!grant || grant.provisioning.state === 'deprovisioned') return;
    if (grant.provisioning.state === 'pending' || grant.provisioning.state === 'failed') {
      // nothing was (successfully) provisioned; a failed provisioner may have left partial state, so still ask it
      if (grant.provisioning.state === 'pending') return;
    }
    const now = this.now();
    const same = await this.o.store.listGrants({
      userRef: grant.userRef, resourceRef: grant.resourceRef, roleId: grant.roleId, status: ['scheduled', 'active'],
    });
    const holder = otherHolder(grant.id, same, now);
    if (holder) {
      await this.o.store.updateGrant(grantId, { provisioning: { state: 'deprovisioned', error: null } });
      await this.appendHistory(grantId, 'deprovision-skipped', actorRef, { keptForGrant: holder.id, until: holder.expiresAt });
      return;
    }
    const provisioner = this.o.provisioners.get(grant.target.role.provisioner?.type);
    try {
      if (!provisioner) throw new Error(`no provisioner registered for type '${grant.target.role.provisioner?.type}'`);
      await provisioner.deprovision({ ...grant.target, externalId: grant.provisioning.externalId });
      await this.o.store.updateGrant(grantId, { provisioning: { state: 'deprovisioned', error: null } });
      await this.appendHistory(grantId, 'deprovisioned', actorRef, { provisioner: provisioner.type });
      await this.auditSystem('grant-deprovision', 'medium', { actor: actorRef, grantId, userRef: grant.userRef, resourceRef: grant.resourceRef, roleId: grant.roleId });
    } catch (e) {
      const message = (e as Error).message;
      // keep state 'provisioned' so the next sweep retries; record the error
      await this.o.store.updateGrant(grantId, { provisioning: { state: grant.provisioning.state, error: `deprovision failed: ${message}` } });
      await this.appendHistory(grantId, 'deprovision-failed', actorRef, { error: message });
      await this.auditSystem('grant-deprovision', 'high', { actor: actorRef, grantId }, e as Error);
    }
  }

  async renewGrant(actor: Actor, id: string, body: RenewBody): Promise<AccessRequest> {
    const grant = await this.o.store.getGrant(id);
    let refusal: Error | undefined;
    if (!grant) refusal = new NotFoundError(`grant ${id} not found`);
    else {
      // -common mayRenewGrant, the rule the portal uses to offer "Extend"
      try {
        checkRenew(grant, actor.userRef, this.now());
      } catch (e) {
        refusal = e as Error;
      }
    }
    if (!grant || refusal) {
      // a refused renewal is audited under the same event id as an accepted one
      return this.audited('grant-renew-request', 'medium', actor, { renewsGrantId: id }, async () => {
        throw refusal;
      });
    }
    // a renewal is a new request under the CURRENT policy
    return this.createRequest(actor, {
      resourceRef: grant.resourceRef, roleId: grant.roleId, durationMinutes: body.durationMinutes,
      justification: body.justification, ticket: body.ticket,
    }, { renewsGrantId: id });
  }

  // ---------------------------------------------------------------- break-glass

  async breakGlass(actor: Actor, body: BreakGlassBody, hasPermission: boolean): Promise<Grant> {
    return this.audited(
      'break-glass',
      'critical',
      actor,
      { resourceRef: body.resourceRef, roleId: body.roleId, durationMinutes: body.durationMinutes, justification: body.justification },
      async () => {
        if (!hasPermission) throw new NotAllowedError('break-glass requires access-requests.break-glass');
        const groups = await this.o.directory.currentGroups(actor.userRef);
        if (!groups.has(this.o.platformAdminGroup)) {
          // the group by its catalog name for the person; its ref in the error's ids and the audit meta
          const name = await this.nameOf(this.o.platformAdminGroup);
          throw Object.assign(new NotAllowedError(`break-glass is for current members of ${name} only`), {
            ids: { group: this.o.platformAdminGroup },
          });
        }
        const { resource, loaded } = await this.requestable(body.resourceRef, actor);
        const role = validateBreakGlass(loaded.policy, body);
        const now = this.now();
        const grant = this.newGrantRecord({
          resource, userRef: actor.userRef, role, now, durationMinutes: body.durationMinutes, breakGlass: true, justification: body.justification,
        });
        await this.o.store.transaction(async tx => {
          await this.o.store.insertGrant(grant, tx);
          await this.o.store.appendHistory(grant.id, {
            at: iso(now), event: 'break-glass', actor: actor.userRef,
            details: { justification: body.justification, policy: loaded.policy.name, postHocReviewsNeeded: POST_HOC_REVIEWS_NEEDED },
          }, tx);
        });
        this.o.notifier.dispatch({
          to: this.o.securityReviewerGroup,
          exclude: actor.userRef,
          title: `BREAK-GLASS: ${await this.nameOf(actor.userRef)} took ${role.title} on ${resource.title} for ${body.durationMinutes} min`,
          description: `Justification: ${body.justification}. Two post-hoc reviews by security reviewers are required.`,
          link: this.link('grant', grant.id),
          severity: 'critical',
        });
        await this.provision(grant.id, actor.userRef);
        return this.getGrantView(grant.id);
      },
      g => ({ grantId: g.id, status: g.status }),
    );
  }

  async postHocReview(actor: Actor, grantId: string, body: PostHocReviewBody, hasPermission: boolean): Promise<Grant> {
    return this.audited('post-hoc-review', 'high', actor, { grantId, decision: body.decision }, async () => {
      if (!hasPermission) throw new NotAllowedError('post-hoc review requires access-requests.grant.post-hoc-review');
      const groups = await this.o.directory.currentGroups(actor.userRef);
      try {
        await this.o.store.transaction(async tx => {
          const grant = await this.o.store.getGrant(grantId, { tx, forUpdate: true });
          if (!grant) throw new NotFoundError(`grant ${grantId} not found`);
          const existing = (await this.o.store.listPostHocReviews([grantId], tx)).get(grantId) ?? [];
          checkPostHocReview(grant, existing, actor.userRef, groups.has(this.o.securityReviewerGroup));
          const at = iso(this.now());
          await this.o.store.insertPostHocReview(grantId, { reviewer: actor.userRef, decision: body.decision, comment: body.comment, createdAt: at }, tx);
          await this.o.store.appendHistory(grantId, { at, event: `post-hoc-${body.decision}`, actor: actor.userRef, details: { comment: body.comment } }, tx);
          if (existing.length + 1 === POST_HOC_REVIEWS_NEEDED) {
            const flags = [...existing.map(r => r.decision), body.decision].filter(d => d === 'flag').length;
            await this.o.store.appendHistory(grantId, { at, event: 'post-hoc-complete', actor: SYSTEM_ACTOR, details: { flags } }, tx);
          }
        });
      } catch (e) {
        if (isUniqueViolation(e)) throw new ConflictError('you have already reviewed this grant');
        throw e;
      }
      return this.getGrantView(grantId);
    });
  }

  // ---------------------------------------------------------------- scheduled work

  /**
   * Expires overdue pending requests and due grants, deprovisions ended grants (counting
   * overlaps), and sends one reminder per grant before expiry. Idempotent; safe to run
   * at startup and on every replica.
   */
  async runExpirySweep(): Promise<SweepResult> {
    // serialize sweeps inside this process (startup hook, scheduler, clock endpoint)
    const run = this.sweepChain.then(() => this.sweepOnce());
    this.sweepChain = run.catch(() => undefined);
    return run;
  }

  private sweepChain: Promise<unknown> = Promise.resolve();

  private async sweepOnce(): Promise<SweepResult> {
    const now = this.now();
    const nowIso = iso(now);
    let expiredRequests = 0;
    for (const r of await this.o.store.listOverduePendingRequests(nowIso)) {
      if (await this.o.store.decideRequest(r.id, { status: 'expired', decidedAt: nowIso })) {
        expiredRequests++;
        await this.auditSystem('request-expire', 'low', { requestId: r.id, requester: r.requester, deadline: r.expiresAt });
        const titles = await this.titlesOf(r);
        this.o.notifier.dispatch({
          to: r.requester, title: `Your request for ${titles.role} on ${titles.resource} expired without a decision`,
          description: 'Nobody decided it before its deadline. You can request again.',
          link: this.link('request', r.id),
        });
        const reviewers = ((await this.o.store.listReviews([r.id])).get(r.id) ?? []).map(x => x.reviewer);
        this.notifyRequestDone(r, { what: 'not decided in time (expired)', resource: titles.resource, requesterName: await this.nameOf(r.requester) }, reviewers);
      }
    }
    let expiredGrants = 0;
    for (const g of await this.o.store.listGrantsDueForExpiry(nowIso)) {
      if (await this.o.store.updateGrant(g.id, { status: 'expired' }, { fromStatus: ['scheduled', 'active'] })) {
        expiredGrants++;
        await this.o.store.appendHistory(g.id, { at: nowIso, event: 'expired', actor: SYSTEM_ACTOR, details: { expiresAt: g.expiresAt } });
        await this.auditSystem('grant-expire', 'medium', { grantId: g.id, userRef: g.userRef, resourceRef: g.resourceRef, roleId: g.roleId, expiresAt: g.expiresAt });
      }
    }
    let deprovisioned = 0;
    const ended = await this.o.store.listGrants({ status: ['expired', 'revoked', 'failed'], limit: 1000 });
    for (const g of ended.filter(x => x.provisioning.state === 'provisioned')) {
      await this.deprovisionIfUnheld(g.id, SYSTEM_ACTOR);
      deprovisioned++;
    }
    // grants approved but never provisioned (e.g. the process died right after commit)
    let resumed = 0;
    const stale = iso(new Date(now.getTime() - STALE_PROVISIONING_MS));
    const scheduled = await this.o.store.listGrants({ status: 'scheduled', limit: 200 });
    for (const g of scheduled.filter(x => x.provisioning.state === 'pending' && x.startsAt <= stale && x.expiresAt > nowIso)) {
      await this.appendHistory(g.id, 'provisioning-resumed', SYSTEM_ACTOR);
      await this.provision(g.id, SYSTEM_ACTOR);
      resumed++;
    }
    let reminders = 0;
    const before = iso(new Date(now.getTime() + this.o.reminderMinutesBefore * 60_000));
    for (const g of await this.o.store.listGrantsNeedingReminder(nowIso, before)) {
      if (await this.o.store.claimReminder(g.id, nowIso)) {
        reminders++;
        await this.o.store.appendHistory(g.id, { at: nowIso, event: 'reminder-sent', actor: SYSTEM_ACTOR });
        const titles = await this.titlesOf(g);
        this.o.notifier.dispatch({
          to: g.userRef,
          title: `Your ${titles.role} access to ${titles.resource} ends at ${g.expiresAt}`,
          description: 'Extend it from the grant page if you still need it.',
          link: this.link('grant', g.id),
        });
      }
    }
    return { expiredRequests, expiredGrants, deprovisioned, resumed, reminders };
  }

  /** Whether the user is a current member of the platform-admin group. */
  async isPlatformAdmin(userRef: string): Promise<boolean> {
    return (await this.o.directory.currentGroups(userRef)).has(this.o.platformAdminGroup);
  }

  /** For policies lookups by the router (resource role validation) */
  policyOf(name: string): AccessPolicy | undefined {
    return this.o.policies.get(name)?.policy;
  }
}
