/**
 * Unity Catalog registered models, model versions, aliases and catalogs (API 2.1), docs/databricks-api.md §2, §3.3.
 * Model full names (`catalog.schema.model`) go into the path literally, as the SDKs do.
 */
import { apiPath, paginate, type CallOptions, type HttpClient } from './http';
import {
  catalogInfoSchema,
  listModelVersionsResponseSchema,
  listRegisteredModelsResponseSchema,
  mlflowModelVersionResponseSchema,
  modelVersionInfoSchema,
  registeredModelAliasSchema,
  registeredModelInfoSchema,
  type CatalogInfo,
  type ListModelVersionsPage,
  type ListRegisteredModelsPage,
  type ModelVersionInfo,
  type RegisteredModelAlias,
  type RegisteredModelInfo,
} from './schemas';

export interface IncludeAliasesOptions extends CallOptions {
  /** Ask for `aliases` in the answer (`include_aliases=true`). */
  includeAliases?: boolean;
}

export interface PageOptions extends CallOptions {
  /** `max_results`; unset or 0 = server default (100 for versions). */
  maxResults?: number;
  pageToken?: string;
}

export interface ListModelVersionsOptions extends CallOptions {
  /** `max_results` per page. */
  pageSize?: number;
}

export interface ListRegisteredModelsOptions extends ListModelVersionsOptions {
  /** Both or neither. */
  catalogName?: string;
  schemaName?: string;
}

export interface CreateCatalogInput {
  name: string;
  /** For a catalog created from a Delta Sharing share. */
  provider_name?: string;
  share_name?: string;
  comment?: string;
}

export class UnityCatalogApi {
  constructor(private readonly http: HttpClient) {}

  async getRegisteredModel(fullName: string, options: IncludeAliasesOptions = {}): Promise<RegisteredModelInfo> {
    const { includeAliases, ...call } = options;
    return this.http.json(
      {
        method: 'GET',
        path: apiPath`/api/2.1/unity-catalog/models/${fullName}`,
        query: { include_aliases: includeAliases },
        ...call,
      },
      registeredModelInfoSchema,
    );
  }

  /** One page of registered models (optionally of one schema). */
  async listRegisteredModelsPage(
    options: PageOptions & { catalogName?: string; schemaName?: string } = {},
  ): Promise<ListRegisteredModelsPage> {
    const { maxResults, pageToken, catalogName, schemaName, ...call } = options;
    return this.http.json(
      {
        method: 'GET',
        path: '/api/2.1/unity-catalog/models',
        query: { catalog_name: catalogName, schema_name: schemaName, max_results: maxResults, page_token: pageToken },
        ...call,
      },
      listRegisteredModelsResponseSchema,
    );
  }

  /** All registered models, across pages. */
  listRegisteredModels(
    options: ListRegisteredModelsOptions = {},
  ): AsyncGenerator<RegisteredModelInfo, void, undefined> {
    const { pageSize, ...rest } = options;
    return paginate(
      (pageToken) => this.listRegisteredModelsPage({ ...rest, maxResults: pageSize, pageToken }),
      (page) => page.registered_models,
      '/api/2.1/unity-catalog/models',
    );
  }

  /** One page of versions (no ordering guarantee; elements carry no aliases). A page may be empty mid-list. */
  async listModelVersionsPage(fullName: string, options: PageOptions = {}): Promise<ListModelVersionsPage> {
    const { maxResults, pageToken, ...call } = options;
    return this.http.json(
      {
        method: 'GET',
        path: apiPath`/api/2.1/unity-catalog/models/${fullName}/versions`,
        query: { max_results: maxResults, page_token: pageToken },
        ...call,
      },
      listModelVersionsResponseSchema,
    );
  }

  /**
   * All versions of a model, reading pages until `next_page_token` is absent (empty pages included):
   * `for await (const v of uc.listModelVersions('main.ml.fraud')) ...`.
   */
  listModelVersions(
    fullName: string,
    options: ListModelVersionsOptions = {},
  ): AsyncGenerator<ModelVersionInfo, void, undefined> {
    const { pageSize, ...call } = options;
    return paginate(
      (pageToken) => this.listModelVersionsPage(fullName, { ...call, maxResults: pageSize, pageToken }),
      (page) => page.model_versions,
      apiPath`/api/2.1/unity-catalog/models/${fullName}/versions`,
    );
  }

  async getModelVersion(
    fullName: string,
    version: number,
    options: IncludeAliasesOptions = {},
  ): Promise<ModelVersionInfo> {
    const { includeAliases, ...call } = options;
    return this.http.json(
      {
        method: 'GET',
        path: apiPath`/api/2.1/unity-catalog/models/${fullName}/versions/${checkVersion(version, 'version')}`,
        query: { include_aliases: includeAliases },
        ...call,
      },
      modelVersionInfoSchema,
    );
  }

  /** The version an alias points to (`GET .../aliases/{alias}` answers a ModelVersionInfo). */
  async getModelVersionByAlias(
    fullName: string,
    alias: string,
    options: IncludeAliasesOptions = {},
  ): Promise<ModelVersionInfo> {
    const { includeAliases, ...call } = options;
    return this.http.json(
      {
        method: 'GET',
        path: apiPath`/api/2.1/unity-catalog/models/${fullName}/aliases/${alias}`,
        query: { include_aliases: includeAliases },
        ...call,
      },
      modelVersionInfoSchema,
    );
  }

  /** Points `alias` at `versionNum` (creates or moves it). */
  async setAlias(
    fullName: string,
    alias: string,
    versionNum: number,
    options: CallOptions = {},
  ): Promise<RegisteredModelAlias> {
    return this.http.json(
      {
        method: 'PUT',
        path: apiPath`/api/2.1/unity-catalog/models/${fullName}/aliases/${alias}`,
        body: { version_num: checkVersion(versionNum, 'versionNum') },
        ...options,
      },
      registeredModelAliasSchema,
    );
  }

  async deleteAlias(fullName: string, alias: string, options: CallOptions = {}): Promise<void> {
    await this.http.empty({
      method: 'DELETE',
      path: apiPath`/api/2.1/unity-catalog/models/${fullName}/aliases/${alias}`,
      ...options,
    });
  }

  /** `PATCH .../versions/{version}`: only the comment can be updated. */
  async updateModelVersionComment(
    fullName: string,
    version: number,
    comment: string,
    options: CallOptions = {},
  ): Promise<ModelVersionInfo> {
    return this.http.json(
      {
        method: 'PATCH',
        path: apiPath`/api/2.1/unity-catalog/models/${fullName}/versions/${checkVersion(version, 'version')}`,
        body: { comment },
        ...options,
      },
      modelVersionInfoSchema,
    );
  }

  /**
   * A version's Unity Catalog tags, through the MLflow UC registry API (the 2.1 version objects carry none):
   * key -> value ("" for a tag without a value).
   */
  async getModelVersionTags(
    fullName: string,
    version: number,
    options: CallOptions = {},
  ): Promise<Record<string, string>> {
    const answer = await this.http.json(
      {
        method: 'GET',
        path: '/api/2.0/mlflow/unity-catalog/model-versions/get',
        query: { name: fullName, version: checkVersion(version, 'version') },
        ...options,
      },
      mlflowModelVersionResponseSchema,
    );
    return Object.fromEntries(answer.model_version.tags.map((tag) => [tag.key, tag.value ?? '']));
  }

  /** Sets one tag of a version (MLflow UC registry API `model-versions/set-tag`). */
  async setModelVersionTag(
    fullName: string,
    version: number,
    key: string,
    value: string,
    options: CallOptions = {},
  ): Promise<void> {
    await this.http.empty({
      method: 'POST',
      path: '/api/2.0/mlflow/unity-catalog/model-versions/set-tag',
      body: { name: fullName, version: String(checkVersion(version, 'version')), key, value },
      ...options,
    });
  }

  async getCatalog(name: string, options: CallOptions = {}): Promise<CatalogInfo> {
    return this.http.json(
      { method: 'GET', path: apiPath`/api/2.1/unity-catalog/catalogs/${name}`, ...options },
      catalogInfoSchema,
    );
  }

  /** Creates a catalog; with provider_name + share_name it mounts a Delta Sharing share (DELTASHARING_CATALOG). */
  async createCatalog(input: CreateCatalogInput, options: CallOptions = {}): Promise<CatalogInfo> {
    return this.http.json(
      { method: 'POST', path: '/api/2.1/unity-catalog/catalogs', body: input, ...options },
      catalogInfoSchema,
    );
  }
}

function checkVersion(version: number, what: string): number {
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new TypeError(`${what} must be a positive integer, got ${String(version)}`);
  }
  return version;
}
