/**
 * Unity Catalog models in every workspace, and Delta Sharing (Databricks-to-Databricks) between them.
 *
 * Models live in the primary's registry. A recipient workspace sees them through a DELTASHARING_CATALOG: a read-only
 * view in which a version appears once it is READY in the primary plus that region's replication delay (drawn per
 * region and version from the world's distribution), unless replication is stalled for the region.
 */
import { alreadyExists, badRequest, notFound, permissionDenied } from './api-error';
import { Random } from './random';
import type { Behavior, World } from './world';
import { resolveBehavior } from './world';

export type VersionStatus = 'PENDING_REGISTRATION' | 'READY' | 'FAILED_REGISTRATION';

export interface VersionRecord {
  version: number;
  id: string;
  createdAt: number;
  createdBy: string;
  /** When registration finishes: READY (or FAILED_REGISTRATION when `failed`) from then on. */
  settlesAt: number;
  failed: boolean;
  updatedAt: number;
  comment?: string;
  behavior: Behavior;
  /** Where the version's files came from (the MLflow `source`), and where Unity Catalog keeps them. */
  source: string;
  storageLocation: string;
  runId: string;
  /** Unity Catalog tags (key -> value). */
  tags: Map<string, string>;
  /** The version's files (path relative to the version -> bytes), uploaded through the Files API while pending. */
  files: Map<string, { bytes: Buffer; modifiedAt: number }>;
}

export interface ModelRecord {
  catalog: string;
  schema: string;
  name: string;
  fullName: string;
  id: string;
  owner: string;
  comment?: string;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
  storageLocation: string;
  versions: Map<number, VersionRecord>;
  aliases: Map<string, number>;
  /** Registered-model tags (MLflow's `registered-models/set-tag`). */
  tags: Map<string, string>;
}

export interface CatalogRecord {
  name: string;
  type: 'MANAGED_CATALOG' | 'DELTASHARING_CATALOG';
  providerName?: string;
  shareName?: string;
  comment?: string;
  owner: string;
  createdAt: number;
  createdBy: string;
  id: string;
}

export interface ShareRecord {
  name: string;
  owner: string;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
  comment?: string;
  objects: { name: string; stringSharedAs?: string; addedAt: number; addedBy: string }[];
  /** Recipient names (one per recipient region) holding SELECT on the share. */
  grantees: Set<string>;
}

export interface RecipientRecord {
  name: string;
  region: string;
  globalMetastoreId: string;
  createdAt: number;
  createdBy: string;
}

export function versionStatus(version: VersionRecord, now: number): VersionStatus {
  if (now < version.settlesAt) return 'PENDING_REGISTRATION';
  return version.failed ? 'FAILED_REGISTRATION' : 'READY';
}

export function splitFullName(fullName: string): [string, string, string] {
  const parts = fullName.split('.');
  if (parts.length !== 3 || parts.some((p) => p.length === 0))
    throw badRequest(`Invalid model name '${fullName}': expected <catalog>.<schema>.<model>.`);
  return parts as [string, string, string];
}

const modelMissing = (fullName: string) => notFound(`Routine or Model '${fullName}' does not exist.`);
const versionMissing = (fullName: string, version: number | string) =>
  notFound(`Model version ${version} of '${fullName}' does not exist.`);

/** A version as one workspace sees it. */
export interface VersionView {
  record: VersionRecord;
  model: ModelRecord;
  catalog: string;
  schema: string;
  modelName: string;
  status: VersionStatus;
}

/** A registered model as one workspace sees it: its own (managed) or through a share (read-only). */
export interface ModelView {
  model: ModelRecord;
  catalog: string;
  schema: string;
  name: string;
  readOnly: boolean;
  metastoreId: string;
  versions(now: number): VersionView[];
  aliases(now: number): Map<string, number>;
}

export class ReplicationState {
  stalledSince: number | undefined;
  readonly visibleAt = new Map<string, number>();
}

/** All Unity Catalog state of the world: the primary's models and shares, and each region's catalogs. */
export class UnityCatalog {
  readonly models = new Map<string, ModelRecord>();
  readonly shares = new Map<string, ShareRecord>();
  readonly recipients = new Map<string, RecipientRecord>();
  readonly catalogs = new Map<string, Map<string, CatalogRecord>>();
  readonly replication = new Map<string, ReplicationState>();
  readonly providerName: string;
  private readonly ids: Random;

  constructor(
    private readonly world: World,
    private readonly metastoreIds: Map<string, string>,
    now: number,
  ) {
    this.ids = Random.stream(world.seed, 'uc-ids');
    this.providerName = world.sharing.provider_name ?? `${world.primary.replace(/-/g, '_')}_provider`;
    for (const region of world.regions) {
      this.catalogs.set(region.name, new Map());
      this.replication.set(region.name, new ReplicationState());
      this.addCatalog(region.name, { name: 'main', type: 'MANAGED_CATALOG' }, now, 'system');
    }
    for (const model of world.models) {
      const [catalog, schema, name] = splitFullName(model.name);
      if (!this.catalogs.get(world.primary)!.has(catalog))
        this.addCatalog(world.primary, { name: catalog, type: 'MANAGED_CATALOG' }, now, model.owner);
      const record = this.createModel(
        world.primary,
        { catalog, schema, name, comment: model.comment },
        model.owner,
        now,
      );
      record.owner = model.owner;
      for (const version of model.versions) {
        const settled = version.status !== 'PENDING_REGISTRATION';
        const v = this.addVersion(record, {
          version: version.version,
          behavior: resolveBehavior(world, version.behavior),
          createdBy: model.owner,
          now,
          settlesAt: settled ? now : now + 365 * 24 * 3600 * 1000,
          failed: version.status === 'FAILED_REGISTRATION',
          comment: version.comment,
          tags: version.tags,
        });
        for (const alias of version.aliases) record.aliases.set(alias, v.version);
      }
    }
    for (const share of world.sharing.shares) {
      this.shares.set(share.name, {
        name: share.name,
        owner: 'admins',
        createdAt: now,
        createdBy: 'admins',
        updatedAt: now,
        updatedBy: 'admins',
        objects: share.objects.map((o) => ({
          name: o.name,
          stringSharedAs: o.string_shared_as,
          addedAt: now,
          addedBy: 'admins',
        })),
        grantees: new Set(share.recipients.map((r) => this.recipientName(r))),
      });
      for (const region of share.recipients) {
        const name = this.recipientName(region);
        if (!this.recipients.has(name))
          this.recipients.set(name, {
            name,
            region,
            globalMetastoreId: `${world.regions.find((r) => r.name === region)!.cloud}:${region}:${metastoreIds.get(region)}`,
            createdAt: now,
            createdBy: 'admins',
          });
      }
    }
    for (const region of world.regions)
      for (const catalog of region.shared_catalogs)
        this.addCatalog(
          region.name,
          {
            name: catalog.name,
            type: 'DELTASHARING_CATALOG',
            providerName: this.providerName,
            shareName: catalog.share,
          },
          now,
          'admins',
        );
    // Versions that exist when the world starts have already replicated.
    for (const region of world.regions)
      for (const model of this.models.values())
        for (const version of model.versions.values())
          if (this.isSharedTo(model.fullName, region.name))
            this.replication.get(region.name)!.visibleAt.set(`${model.fullName}#${version.version}`, now);
  }

  recipientName(region: string): string {
    return `${region.replace(/-/g, '_')}_workspace`;
  }

  addCatalog(
    region: string,
    spec: Pick<CatalogRecord, 'name' | 'type' | 'providerName' | 'shareName' | 'comment'>,
    now: number,
    createdBy: string,
  ): CatalogRecord {
    const catalogs = this.catalogs.get(region)!;
    if (catalogs.has(spec.name)) throw alreadyExists(`Catalog '${spec.name}' already exists.`);
    const record: CatalogRecord = { ...spec, owner: createdBy, createdAt: now, createdBy, id: this.ids.uuid() };
    catalogs.set(spec.name, record);
    return record;
  }

  createModel(
    region: string,
    spec: { catalog: string; schema: string; name: string; comment?: string },
    createdBy: string,
    now: number,
  ): ModelRecord {
    const catalog = this.catalogs.get(region)!.get(spec.catalog);
    if (!catalog) throw notFound(`Catalog '${spec.catalog}' does not exist.`, 'CATALOG_DOES_NOT_EXIST');
    if (catalog.type === 'DELTASHARING_CATALOG') throw readOnlyCatalog(spec.catalog);
    if (region !== this.world.primary)
      throw badRequest(
        `The emulator keeps registered models in the primary workspace (${this.world.primary}); create them there.`,
      );
    const fullName = `${spec.catalog}.${spec.schema}.${spec.name}`;
    if (this.models.has(fullName)) throw alreadyExists(`Routine or Model '${fullName}' already exists`);
    const record: ModelRecord = {
      catalog: spec.catalog,
      schema: spec.schema,
      name: spec.name,
      fullName,
      id: this.ids.uuid(),
      owner: createdBy,
      comment: spec.comment,
      createdAt: now,
      createdBy,
      updatedAt: now,
      updatedBy: createdBy,
      storageLocation: `s3://uc-metastore-${this.world.primary}/models/${this.ids.hex(12)}`,
      versions: new Map(),
      aliases: new Map(),
      tags: new Map(),
    };
    this.models.set(fullName, record);
    return record;
  }

  addVersion(
    model: ModelRecord,
    spec: {
      version?: number;
      behavior: Behavior;
      createdBy: string;
      now: number;
      settlesAt: number;
      failed: boolean;
      comment?: string;
      tags?: Record<string, string>;
      /** The MLflow `source` and `run_id`; by default the storage location and a random run. */
      source?: string;
      runId?: string;
    },
  ): VersionRecord {
    const version = spec.version ?? Math.max(0, ...model.versions.keys()) + 1;
    const storageLocation = `${model.storageLocation}/versions/${version}`;
    const record: VersionRecord = {
      version,
      id: this.ids.uuid(),
      createdAt: spec.now,
      createdBy: spec.createdBy,
      settlesAt: spec.settlesAt,
      failed: spec.failed,
      updatedAt: spec.now,
      comment: spec.comment,
      behavior: spec.behavior,
      source: spec.source ?? storageLocation,
      storageLocation,
      runId: spec.runId ?? this.ids.hex(32),
      tags: new Map(Object.entries(spec.tags ?? {})),
      files: new Map(),
    };
    model.versions.set(version, record);
    model.updatedAt = spec.now;
    if (!spec.failed) this.scheduleReplication(model, record, spec.settlesAt);
    return record;
  }

  /**
   * Ends a pending registration now (MLflow's `model-versions/finalize`): READY from now, replicating from now.
   * A version already settled is left as it is.
   */
  finalizeVersion(model: ModelRecord, version: VersionRecord, now: number) {
    if (versionStatus(version, now) !== 'PENDING_REGISTRATION') return;
    version.settlesAt = now;
    version.updatedAt = now;
    if (!version.failed) this.scheduleReplication(model, version, now);
  }

  /** Draws each recipient region's replication delay for a version that becomes READY at `readyAt`. */
  private scheduleReplication(model: ModelRecord, version: VersionRecord, readyAt: number) {
    for (const region of this.world.regions) {
      if (!this.isSharedTo(model.fullName, region.name)) continue;
      const delay = region.replication_delay ?? this.world.defaults.replication_delay;
      const rng = Random.stream(this.world.seed, `replication:${region.name}:${model.fullName}:${version.version}`);
      this.replication
        .get(region.name)!
        .visibleAt.set(`${model.fullName}#${version.version}`, readyAt + rng.sample(delay));
    }
  }

  /** Shares containing the model that a region's workspace has mounted as a catalog. */
  isSharedTo(fullName: string, region: string): boolean {
    const recipient = this.recipientName(region);
    return [...this.catalogs.get(region)!.values()].some((catalog) => {
      const share = catalog.shareName ? this.shares.get(catalog.shareName) : undefined;
      return !!share && share.grantees.has(recipient) && share.objects.some((o) => o.name === fullName);
    });
  }

  stallReplication(region: string, now: number) {
    const state = this.replication.get(region)!;
    state.stalledSince ??= now;
  }

  /** Ends a stall: what should have appeared during it appears now. */
  resumeReplication(region: string, now: number) {
    const state = this.replication.get(region)!;
    if (state.stalledSince === undefined) return;
    for (const [key, at] of state.visibleAt) if (at >= state.stalledSince) state.visibleAt.set(key, Math.max(at, now));
    state.stalledSince = undefined;
  }

  private isVisible(region: string, model: ModelRecord, version: VersionRecord, now: number): boolean {
    if (versionStatus(version, now) !== 'READY') return false;
    const state = this.replication.get(region)!;
    const key = `${model.fullName}#${version.version}`;
    let at = state.visibleAt.get(key);
    if (at === undefined) {
      // Shared after it became READY (a share gained the model, or a catalog was mounted later).
      const delay =
        this.world.regions.find((r) => r.name === region)!.replication_delay ?? this.world.defaults.replication_delay;
      at = now + Random.stream(this.world.seed, `replication:${region}:${key}`).sample(delay);
      state.visibleAt.set(key, at);
    }
    if (state.stalledSince !== undefined && at >= state.stalledSince) return false;
    return at <= now;
  }

  /** Resolves catalog.schema.model in a region's workspace, through a share when the catalog is a shared one. */
  resolveModel(region: string, fullName: string): ModelView {
    const [catalogName, schema, name] = splitFullName(fullName);
    const catalog = this.catalogs.get(region)!.get(catalogName);
    if (!catalog) throw modelMissing(fullName);
    const metastoreId = this.metastoreIds.get(region)!;
    if (catalog.type === 'MANAGED_CATALOG') {
      const model = region === this.world.primary ? this.models.get(fullName) : undefined;
      if (!model) throw modelMissing(fullName);
      return {
        model,
        catalog: catalogName,
        schema,
        name,
        readOnly: false,
        metastoreId,
        versions: (now) =>
          [...model.versions.values()].map((record) => ({
            record,
            model,
            catalog: catalogName,
            schema,
            modelName: name,
            status: versionStatus(record, now),
          })),
        aliases: () => model.aliases,
      };
    }
    const share = this.shares.get(catalog.shareName!);
    if (!share || !share.grantees.has(this.recipientName(region))) throw modelMissing(fullName);
    const object = share.objects.find(
      (o) => (o.stringSharedAs ?? o.name.split('.').slice(1).join('.')) === `${schema}.${name}`,
    );
    const model = object && this.models.get(object.name);
    if (!model) throw modelMissing(fullName);
    const visible = (now: number) => [...model.versions.values()].filter((v) => this.isVisible(region, model, v, now));
    return {
      model,
      catalog: catalogName,
      schema,
      name,
      readOnly: true,
      metastoreId,
      versions: (now) =>
        visible(now).map((record) => ({
          record,
          model,
          catalog: catalogName,
          schema,
          modelName: name,
          status: 'READY',
        })),
      aliases: (now) => {
        // Aliases travel with the share, but only name versions the recipient can already see.
        const seen = new Set(visible(now).map((v) => v.version));
        return new Map([...model.aliases].filter(([, version]) => seen.has(version)));
      },
    };
  }

  /** Lists the models a workspace can see, sorted by full name. */
  listModels(region: string, catalogName?: string, schemaName?: string): ModelView[] {
    const views: ModelView[] = [];
    for (const catalog of this.catalogs.get(region)!.values()) {
      if (catalogName && catalog.name !== catalogName) continue;
      const names =
        catalog.type === 'MANAGED_CATALOG'
          ? region === this.world.primary
            ? [...this.models.values()].filter((m) => m.catalog === catalog.name).map((m) => m.fullName)
            : []
          : (this.shares.get(catalog.shareName!)?.objects ?? []).map(
              (o) => `${catalog.name}.${o.stringSharedAs ?? o.name.split('.').slice(1).join('.')}`,
            );
      for (const name of names) {
        try {
          const view = this.resolveModel(region, name);
          if (!schemaName || view.schema === schemaName) views.push(view);
        } catch {
          // A share naming a model that no longer exists: nothing to list.
        }
      }
    }
    return views.sort((a, b) =>
      `${a.catalog}.${a.schema}.${a.name}`.localeCompare(`${b.catalog}.${b.schema}.${b.name}`),
    );
  }

  /**
   * The schemas of a catalog in a region's workspace, sorted by name: derived from the models it holds (its own, or
   * those its share grants this region). A catalog with no model has no schema here.
   */
  listSchemas(region: string, catalogName: string): { catalog: CatalogRecord; schemas: string[] } {
    const catalog = this.catalogs.get(region)!.get(catalogName);
    if (!catalog) throw notFound(`Catalog '${catalogName}' does not exist.`, 'CATALOG_DOES_NOT_EXIST');
    const schemas = new Set(this.listModels(region, catalogName).map((view) => view.schema));
    return { catalog, schemas: [...schemas].sort() };
  }

  findVersion(view: ModelView, version: number, now: number): VersionView {
    const found = view.versions(now).find((v) => v.record.version === version);
    if (!found) throw versionMissing(`${view.catalog}.${view.schema}.${view.name}`, version);
    return found;
  }

  assertWritable(view: ModelView) {
    if (view.readOnly) throw readOnlyCatalog(view.catalog);
  }
}

export function readOnlyCatalog(catalog: string) {
  return permissionDenied(
    `Catalog '${catalog}' is a Delta Sharing catalog and is read-only; make this change in the provider's workspace.`,
  );
}
